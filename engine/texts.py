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

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

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
            "Or start Contacts Migration from the Start menu, or run "
            "'contacts-migration run' on the computer that should keep the contacts in sync.",
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
            "Check the connection settings name the right server and instance, for example "
            "MYOBSERVER\\MYOBACCT (the [source] url in the settings file shown below).",
            "Check this computer is on the practice network (or its VPN) and that no "
            "firewall blocks the database server.",
            "Open the practice in the desktop program on this computer: if that fails too, "
            "the problem is the server or the network, not Contacts Migration.",
            RETRY_STEP,
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
            "update or mapping file (the [source] mapping_file setting).",
            RETRY_STEP,
            SUPPORT_STEP,
        ),
    ),
    Reason.ONLINE_UNREACHABLE: ReasonWords(
        "The online service can't be reached.",
        "Check this computer's internet connection and proxy settings.",
        "This computer can't reach the online service. Nothing is lost: changes wait in "
        "the desktop database and are sent as soon as the connection is back.",
        (
            "Check this computer can open web sites.",
            "If the practice uses a proxy, set it in the settings file: under [online], "
            'proxy = "http://proxy.example:3128" ("system" uses the system\'s proxy, '
            '"none" connects directly).',
            "If a firewall or security product inspects secure connections, add its "
            "certificate authority: under [online], ca_file = the path of its PEM file.",
            "Ask IT to allow this computer to reach the online service's address "
            "(the [online] url setting).",
            RETRY_STEP,
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
