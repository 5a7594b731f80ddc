"""Words a person must read the same way whichever front end shows them (CLI or GUI).

The confirmation is the vendor's own question (people know it); the agreement is the
Terms-of-use checkbox. Every :class:`Reason` the light can give has all of its words in
one table, :data:`REASON_WORDS`: the plain problem sentence and the fix (what a Status
says), what it means, and the numbered steps to fix it; the status model,
``contacts-migration status`` and the GUI's troubleshooting dialog all read them from
here. A step that names something to do (press Retry now, run a command) says it through
an :class:`Action`, worded for each :class:`FrontEnd`: the same steps, in the words of
the window or the terminal the person is looking at. One home, so nothing drifts apart.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Final

from engine.online.unreachable import UNREACHABLE_TEXT, Unreachable

#: Asked before anything is changed: activation then migrates every contact.
CONFIRMATION: Final = (
    "The process to migrate contact details online may take some time. "
    "Are you sure you want to continue?"
)
#: What a person ticks (or answers) to accept the Terms of use.
AGREEMENT: Final = "I agree with the above terms of use"


class Reason(StrEnum):
    """Why the engine is (or may soon be) inactive."""

    STOPPED = "stopped"
    NOT_CONFIGURED = "not_configured"
    NOT_ACTIVATED = "not_activated"
    DATABASE_UNREACHABLE = "database_unreachable"
    DATABASE_SCHEMA = "database_schema"
    ONLINE_UNREACHABLE = "online_unreachable"
    ONLINE_ERROR = "online_error"
    CREDENTIALS_REJECTED = "credentials_rejected"
    SIGN_IN_AGAIN = "sign_in_again"
    LOGIN_NOT_ACTIVE_EMPLOYEE = "login_not_active_employee"
    LEASE_LOST = "lease_lost"


class FrontEnd(StrEnum):
    """Where the steps are read: the words for what to do differ, the steps don't."""

    GUI = "gui"
    CLI = "cli"


class Action(StrEnum):
    """Something a step asks the person to do; written ``{retry}`` and so on in a step."""

    RETRY = "retry"
    START = "start"
    ACTIVATE = "activate"
    DIAGNOSTICS = "diagnostics"
    QUIT = "quit"
    SIGN_IN = "sign_in"


#: Each action in each front end's words (a step capitalises its first letter).
ACTION_WORDS: Final[dict[FrontEnd, dict[Action, str]]] = {
    FrontEnd.GUI: {
        Action.RETRY: "press Retry now",
        Action.START: "press Retry now to start it here",
        Action.ACTIVATE: "press Activate… here, or open Maintenance > Online > Activate "
        "Contacts Migration in the desktop program",
        Action.DIAGNOSTICS: "press Copy diagnostics and paste them into an email to support",
        Action.QUIT: "quit Contacts Migration here (Quit in the tray menu)",
        Action.SIGN_IN: "press Sign in again here (or in the tray menu): your browser opens "
        "the online practice's sign-in page",
    },
    FrontEnd.CLI: {
        Action.RETRY: "check again in a minute with 'contacts-migration status': the agent "
        "retries by itself",
        Action.START: "run 'contacts-migration run' to start it here",
        Action.ACTIVATE: "run 'contacts-migration activate' (or open Maintenance > Online > "
        "Activate Contacts Migration in the desktop program)",
        Action.DIAGNOSTICS: "run 'contacts-migration diagnostics' and send the file it writes "
        "to support",
        Action.QUIT: "stop Contacts Migration here (Ctrl+C where 'contacts-migration run' "
        "runs, or Quit in the tray menu)",
        Action.SIGN_IN: "run 'contacts-migration sign-in': your browser opens the online "
        "practice's sign-in page (the address is printed when no browser can be started)",
    },
}


@dataclass(frozen=True)
class ReasonWords:
    #: One plain sentence: what is wrong (a fault's own sentence may replace it).
    problem: str
    #: What to do, in one sentence (shown with the problem).
    fix: str
    #: What it means for the practice, in plain words.
    meaning: str
    #: What to do, in order; ``{retry}`` and the like name an :class:`Action`.
    steps: tuple[str, ...]
    #: The technical details for whoever looks after the practice's computers (settings
    #: file entries, what to allow): shown folded under "For IT", never as a step.
    for_it: tuple[str, ...] = ()

    def steps_for(self, front_end: FrontEnd) -> tuple[str, ...]:
        """The steps in ``front_end``'s words."""
        words = {action.value: text for action, text in ACTION_WORDS[front_end].items()}
        shown = (step.format_map(words) for step in self.steps)
        return tuple(step[:1].upper() + step[1:] for step in shown)


RETRY_STEP: Final = "{retry}."
SUPPORT_STEP: Final = "If it still does not work, {diagnostics}."

#: All the words of every reason. Specific details (which email, which server) come with
#: the fault and are added to the message.
REASON_WORDS: Final[dict[Reason, ReasonWords]] = {
    Reason.STOPPED: ReasonWords(
        "Contacts Migration is not running on this computer.",
        "Start it from the Start menu or run 'contacts-migration run'.",
        "The sync agent is not running on this computer, so changes made on the desktop "
        "are not sent online. Nothing is lost: it resumes where it stopped.",
        (
            "{start}.",
            "If another computer of the practice should keep the contacts in sync instead "
            "(usually the server), start Contacts Migration there.",
            SUPPORT_STEP,
        ),
    ),
    Reason.NOT_CONFIGURED: ReasonWords(
        "Contacts Migration has not been set up on this computer.",
        "Activate it from Maintenance > Online > Activate Contacts Migration.",
        "This computer has no Contacts Migration settings yet: it does not know which "
        "practice database and which online practice to use.",
        (
            "{activate}: it needs the practice database, the online service address and "
            "the practice's client id and secret, then activates.",
            "If the settings file exists but is wrong, the message above names the problem; "
            "correct the file (its location is shown below) or activate again.",
            SUPPORT_STEP,
        ),
    ),
    Reason.NOT_ACTIVATED: ReasonWords(
        "Contacts Migration is not activated for this practice.",
        "Activate it from Maintenance > Online > Activate Contacts Migration.",
        "The practice's contacts have not been moved online yet, so there is nothing to "
        "keep in sync.",
        (
            "{activate}.",
            "The activation checks everything is ready, shows the Terms of use, then "
            "migrates the contacts.",
        ),
    ),
    Reason.DATABASE_UNREACHABLE: ReasonWords(
        "The practice database can't be reached.",
        "Check that the database server is on and reachable from this computer.",
        "This computer can't connect to the practice database, so changes made on the "
        "desktop can't be read. The online copy stays as it was until the connection is back.",
        (
            "Check that the database server (the computer that holds the practice database) "
            "is switched on and its SQL Server service is running.",
            "Ask IT to check the connection settings name the right server and instance "
            "(see For IT).",
            "Check this computer is on the practice network (or its VPN) and that no "
            "firewall blocks the database server.",
            "Open the practice in the desktop program on this computer: if that fails too, "
            "the problem is the server or the network, not Contacts Migration.",
            RETRY_STEP,
        ),
        (
            "The database server and instance are the [source] url in the settings file, for "
            "example MYOBSERVER\\MYOBACCT.",
        ),
    ),
    Reason.DATABASE_SCHEMA: ReasonWords(
        "The practice database does not have the tables and columns expected.",
        "Check the connection points at the practice database, or update the mapping file.",
        "The database reached does not have the tables and columns the mapping file "
        "expects: the connection may point at another database, or the desktop program was "
        "upgraded and its database changed.",
        (
            "Check the connection settings point at the practice database, not a copy or "
            "another program's database.",
            "If the desktop program was upgraded, install the matching Contacts Migration "
            "update (see For IT).",
            RETRY_STEP,
            SUPPORT_STEP,
        ),
        ("A mapping file for another database layout is the [source] mapping_file setting.",),
    ),
    Reason.ONLINE_UNREACHABLE: ReasonWords(
        "The online service can't be reached.",
        "Check this computer can open web sites; it will retry by itself.",
        "This computer can't reach the online service. Nothing is lost: changes wait in "
        "the desktop database and are sent as soon as the connection is back.",
        (
            "Check this computer can open web sites (for example your bank's).",
            "If web sites don't open either, call whoever looks after the practice's "
            "internet or network (IT) and show them the For IT details.",
            "If web sites open, the online service may be down: wait a few minutes, then {retry}.",
            SUPPORT_STEP,
        ),
        (
            "The service's address is the [online] url in the settings file.",
            'A proxy is set under [online]: proxy = "http://proxy.example:3128" ("system" '
            'uses the system\'s proxy, "none" connects directly).',
            "A firewall or security product that inspects HTTPS needs its root certificate: "
            "[online] ca_file = the path of its PEM file.",
        ),
    ),
    Reason.ONLINE_ERROR: ReasonWords(
        "The online service is answering with errors.",
        "It will keep retrying; if this lasts, send a diagnostics file to support.",
        "The online service is reached but answers with errors: it may be busy or under "
        "maintenance. Contacts Migration keeps retrying on its own.",
        (
            "Wait a few minutes: it retries by itself.",
            RETRY_STEP,
            "If it lasts more than an hour, {diagnostics}.",
        ),
    ),
    Reason.CREDENTIALS_REJECTED: ReasonWords(
        "The online service rejected this practice's credentials.",
        "Run the activation again with the practice's current client id and secret.",
        "The online service did not accept this practice's client id and secret: they may "
        "have been reset or revoked online, or this computer's settings are for another "
        "practice.",
        (
            "Get the practice's current client id and secret from the online service's "
            "practice administration.",
            "Run the activation again with them ('contacts-migration activate'): it keeps "
            "the secret in this computer's keyring, never in the settings file.",
            RETRY_STEP,
        ),
    ),
    Reason.SIGN_IN_AGAIN: ReasonWords(
        "The online sign-in of this computer is no longer accepted.",
        "Sign in again with the practice's online login.",
        "Contacts Migration signs in to the online practice as the practice's online login. "
        "That sign-in was ended online (signed out, password changed, or it was used from "
        "somewhere else, which ends it for safety), so nothing can be sent until someone "
        "signs in again. Nothing is lost: the agent resumes on its own afterwards.",
        (
            "{sign_in}.",
            "Sign in there with the practice's online login email (the one in Practice "
            "my.MYOB settings), not your own.",
            SUPPORT_STEP,
        ),
    ),
    Reason.LOGIN_NOT_ACTIVE_EMPLOYEE: ReasonWords(
        "The practice's online login email does not belong to an active employee.",
        "Make that employee active again, or set the practice login email to an active "
        "employee's email (a dedicated employee is best).",
        "The practice signs in online with its practice login email, and that email must "
        "belong to an active employee in the desktop program. Right now it does not: the "
        "employee was made inactive, or the email changed.",
        (
            "In the desktop program open the employee with that email (named above) and "
            "make them active again.",
            "Or change the login email in Practice my.MYOB settings to the email of a "
            "dedicated active employee, one nobody deactivates when staff leave.",
            RETRY_STEP,
        ),
    ),
    Reason.LEASE_LOST: ReasonWords(
        "Another computer took over keeping this practice's contacts in sync.",
        "If no other computer should run it, stop it there and restart Contacts Migration here.",
        "Another computer took over keeping this practice's contacts in sync. Only one "
        "computer does it at a time, so this one stopped sending.",
        (
            "Find which computer should keep the contacts in sync (usually the server).",
            "If it is the other one, {quit}.",
            "If it is this one, quit Contacts Migration on the other computer, then {start}.",
        ),
    ),
}

#: What a reader in another process shows when the agent stopped writing its heartbeat
#: (the reason is still :attr:`Reason.STOPPED`, with its steps).
NOT_RESPONDING: Final = ReasonWords(
    "Contacts Migration is not running or not responding on this computer.",
    "Restart it from the Start menu or run 'contacts-migration run'; if it happens again, "
    "send a diagnostics file to support.",
    REASON_WORDS[Reason.STOPPED].meaning,
    REASON_WORDS[Reason.STOPPED].steps,
)


def _observed(meaning: str, steps: tuple[str, ...], for_it: tuple[str, ...]) -> ReasonWords:
    return ReasonWords("", "", meaning, steps, for_it)


CALL_SERVICE_STEP: Final = (
    "If it lasts more than 15 minutes, call the online service's support and tell them "
    "what the first line above says."
)

#: What to do for each thing that can be observed when the online service can't be used:
#: a refused connection, a silence, a name lookup and a certificate need different steps.
#: The problem and fix sentences are :data:`engine.online.unreachable.UNREACHABLE_TEXT`'s.
OBSERVED_WORDS: Final[dict[Unreachable, ReasonWords]] = {
    Unreachable.NO_NETWORK: _observed(
        "This computer is not connected to a network, so nothing can reach the online "
        "service. Nothing is lost: changes are sent once it is connected again.",
        (
            "Check this computer's network cable is plugged in, or that its Wi-Fi is on and "
            "connected.",
            "Check whether other computers in the practice can open web sites: if none can, "
            "call whoever looks after the practice's internet.",
            "Once it is connected, {retry} (it also retries by itself).",
        ),
        ("The operating system reports no route to the service's address.",),
    ),
    Unreachable.NAME_NOT_FOUND: _observed(
        "This computer can't look up where the online service is: its internet "
        "connection or the practice's name lookup (DNS) is not working, or the service's "
        "address in the settings is mistyped.",
        (
            "Check this computer can open web sites.",
            "If it can't, call whoever looks after the practice's internet.",
            "If it can, ask IT to check the online service's address (see For IT).",
            RETRY_STEP,
        ),
        (
            "The host name of the [online] url in the settings file could not be resolved "
            "(DNS). Check its spelling and that the practice's DNS server answers for it.",
        ),
    ),
    Unreachable.REFUSED: _observed(
        "The online service's computer was reached but did not accept the connection: "
        "the service is down or restarting. Nothing is lost: changes wait and are sent "
        "once it is back.",
        (
            "Wait a few minutes: a restart usually takes less than that.",
            RETRY_STEP,
            CALL_SERVICE_STEP,
        ),
        (
            "The TCP connection to the [online] url in the settings file was refused. If "
            "the address or port is wrong, correct it there.",
        ),
    ),
    Unreachable.NOT_ANSWERING: _observed(
        "The online service did not answer in time: the service, or the internet "
        "connection to it, is very slow or down. Nothing is lost: changes wait and are "
        "sent once it answers.",
        (
            "Check this computer opens other web sites at their normal speed.",
            "If it does not, call whoever looks after the practice's internet.",
            "If it does, the service is slow or down: wait a few minutes; it retries by "
            "itself, or {retry}.",
            CALL_SERVICE_STEP,
        ),
        (
            "Requests to the [online] url timed out. A firewall that silently drops the "
            "traffic looks the same: check it allows HTTPS to that address.",
        ),
    ),
    Unreachable.DROPPED: _observed(
        "The connection to the online service opens but keeps breaking, usually in the "
        "network in between (a VPN, a firewall or an unstable internet connection).",
        (
            "If this computer uses a VPN, check it is connected and stays connected.",
            "Tell IT the connection to the online service keeps being cut (see For IT).",
            RETRY_STEP,
        ),
        (
            "Connections to the [online] url are reset or closed mid-request. Check "
            "firewalls, the VPN and any HTTPS inspection between this computer and it.",
        ),
    ),
    Unreachable.PROXY: _observed(
        "The practice's proxy server (the computer internet traffic goes through) refused "
        "to pass the connection on to the online service.",
        (
            "Ask IT to let the online service's address through the proxy (see For IT).",
            "Once they have, {retry}.",
        ),
        (
            "The proxy refused a CONNECT to the [online] url's host. The proxy used is "
            '[online] proxy in the settings file ("system" uses the system\'s proxy, '
            '"none" connects directly).',
        ),
    ),
    Unreachable.CERTIFICATE: _observed(
        "This computer can't confirm it is talking to the real online service, so it "
        "sends nothing. This usually happens when the practice's network or security "
        "software inspects secure connections.",
        (
            "Ask IT whether the network or a security product inspects secure (HTTPS) "
            "connections, and show them the For IT details.",
            "Once they have fixed it, {retry}.",
        ),
        (
            "The service's certificate does not chain to a trusted root. Install the "
            "inspecting product's root certificate in the operating system's certificate "
            "store, or set [online] ca_file to the path of its PEM file. Never turn "
            "certificate checks off.",
        ),
    ),
}


def words_for(reason: Reason, observed: str = "") -> ReasonWords:
    """The words for ``reason``, with the meaning, steps and For IT details that fit what
    was ``observed`` (an :class:`Unreachable` value) when there are some."""
    words = REASON_WORDS[reason]
    if reason not in (Reason.ONLINE_UNREACHABLE, Reason.ONLINE_ERROR) or not observed:
        return words
    try:
        kind = Unreachable(observed)
    except ValueError:
        return words
    fitting = OBSERVED_WORDS.get(kind, REASON_WORDS[Reason.ONLINE_ERROR])
    problem, fix = UNREACHABLE_TEXT[kind]
    return replace(fitting, problem=problem, fix=fix)
