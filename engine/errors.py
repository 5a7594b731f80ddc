"""Every error that reaches a person, in one tree, and what each means on the light.

Each names the problem and what to do about it (``problem``, ``fix``) and is shown
without a traceback::

    UserFacingError
    ├── SourceError                 the practice database can't be read
    │   ├── SchemaError             ... it is not the schema the mapping describes
    │   └── ConnectionStringError   ... the ODBC connection string can't be read
    ├── OnlineError                 the online service refused or could not be reached
    │   ├── TransientOnlineError    ... worth retrying (no connection, timeout, busy)
    │   ├── CredentialsRejected (SignInNeeded), NotActivated, OnlineProtocolError
    │   │   (AnswerRefused), RequestRefused, UntrustedCertificate, GaveUp, SignInFailed
    │   └── StaleEpoch, CheckpointConflict, PayloadTooLarge, InvalidDocuments
    │                               ... answers the agent acts on itself
    ├── SettingsError               a settings, state or credentials file is wrong
    │   └── InsecureServiceUrl      ... the service address is plain http elsewhere
    ├── LoginProblem                the practice's online login is not an active employee
    ├── TermsNotAccepted            activation before the Terms of use were accepted
    └── PreflightFailed             activation's checks did not all pass

:data:`STATUS_REASONS` is the table from exception to status reason (and whether a retry
can fix it); :func:`engine.sync.retry.classify` reads it. Control flow inside the agent
(``LeaseLost``, ``LockLost``, ``Stopping``, ``FaultPersisted`` in
:mod:`engine.sync.agent`) is not here: it is never shown to a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, Protocol

from engine.online.unreachable import UNREACHABLE_TEXT, Unreachable
from engine.status.untrusted import visible
from engine.texts import Reason


class UserFacingError(Exception):
    """A failure explained in plain words; shown without a traceback."""

    def __init__(self, problem: str, fix: str = "") -> None:
        # Messages carry text from outside (a service's words, database values): shown
        # with control characters made visible, in every front end (engine.status.untrusted).
        problem, fix = visible(problem), visible(fix)
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem} {self.fix}".strip()


# --- the practice database -------------------------------------------------------------


class SourceError(UserFacingError):
    """The practice database can't be read (unreachable, wrong schema, locked...)."""


class SchemaError(SourceError):
    """The database is reachable but is not the schema the mapping describes; ``missing``
    lists what it lacks (``Table``, ``Table.Column``) so the set-up can name it."""

    def __init__(self, problem: str, fix: str = "", missing: Sequence[str] = ()) -> None:
        super().__init__(problem, fix)
        self.missing = tuple(missing)


class ConnectionStringError(SourceError):
    """The connection string itself can't be read."""


# --- the online service ----------------------------------------------------------------


class OnlineError(UserFacingError):
    """The online service refused or could not be reached."""


class TransientOnlineError(OnlineError):
    """Worth retrying: the connection failed, timed out, or the service is busy.

    ``kind`` is what was observed (no network, refused, a proxy, ...), so the person is
    told the advice that fits it; ``summary`` is its one plain sentence."""

    def __init__(
        self,
        problem: str,
        retry_after: float | None = None,
        kind: Unreachable = Unreachable.NOT_ANSWERING,
    ) -> None:
        summary, advice = UNREACHABLE_TEXT[kind]
        super().__init__(problem, advice)
        self.retry_after = retry_after
        self.kind = kind
        self.summary = summary


class CredentialsRejected(OnlineError):
    """The service refused the client id and secret, or they lack a permission (401, 403)."""

    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The online service rejected the program's credentials ({detail}).",
            "Check the client id and secret (run 'contacts-migration activate' again).",
        )


class SignInNeeded(CredentialsRejected):
    """The service refused the sign-in's refresh token (revoked, expired, replayed, the
    password changed), or there is none: only a person signing in again helps."""

    def __init__(self) -> None:
        OnlineError.__init__(
            self,
            "The online sign-in of this computer is no longer accepted.",
            "Sign in again with the practice's online login ('contacts-migration sign-in', "
            "or Sign in again in the tray menu).",
        )


class SignInFailed(OnlineError):
    """The browser sign-in did not finish (cancelled, timed out, refused)."""

    def __init__(self, problem: str, fix: str = "Start the sign-in again.") -> None:
        super().__init__(problem, fix)


class OnlineProtocolError(OnlineError):
    """The service answered something that is not the API (HTML page, wrong JSON...)."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            problem,
            "Check the online service address (and any proxy in between); nothing was changed.",
        )


class AnswerRefused(OnlineProtocolError):
    """An answer too large once decoded, or in codings the agent won't decode (a hostile
    service, proxy or captive portal can't exhaust the desktop's memory)."""


class StaleEpoch(OnlineError):
    """Another agent took the lease online: this one must stop writing (fencing)."""

    def __init__(self) -> None:
        super().__init__(
            "Another agent took over synchronising this practice.",
            "Nothing to do if another workstation runs it; otherwise restart this one.",
        )


class CheckpointConflict(OnlineError):
    """The compare-and-set on the online checkpoint failed: the agent reads it again."""

    def __init__(self) -> None:
        super().__init__("The online checkpoint moved under this agent.")


class NotActivated(OnlineError):
    """The practice has not been activated online (or was deactivated)."""

    def __init__(self) -> None:
        super().__init__(
            "Contacts Migration is not activated for this practice online.",
            "Activate it from Maintenance > Online > Activate Contacts Migration.",
        )


class PayloadTooLarge(OnlineError):
    """413: the uploader splits the batch and sends the halves."""

    def __init__(self) -> None:
        super().__init__("The online service refused a batch as too large.")


class RequestRefused(OnlineError):
    """A 4xx the engine can't act on; carries the service's own words."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"The online service refused the request ({status} {code}): {message}")
        self.status = status
        self.code = code


class InvalidDocuments(OnlineError):
    """422: the service named each contact it refused and why; nothing was applied."""

    def __init__(self, problems: dict[str, list[str]]) -> None:
        super().__init__(f"The online service refused {len(problems)} contact(s).")
        self.problems = problems


class UntrustedCertificate(OnlineError):
    """The server's certificate does not chain to a trusted root: never accepted. Shown
    as "can't reach" (the light's reason), with the certificate's own plain sentence."""

    def __init__(self, host: str, reason: str) -> None:
        super().__init__(
            f"The online service's certificate at {host} is not trusted by this computer "
            f"({reason}).",
            "If the practice's network inspects HTTPS, ask IT to install its root "
            "certificate in the operating system's certificate store, or name it in "
            "[online] ca_file in settings.toml.",
        )
        self.host = host
        self.reason = reason
        self.kind = Unreachable.CERTIFICATE
        self.summary = UNREACHABLE_TEXT[Unreachable.CERTIFICATE][0]


#: What a person can do when a one-shot call gave up, by the reason of its last failure.
GIVE_UP_FIX: Final[dict[Reason, str]] = {
    Reason.ONLINE_UNREACHABLE: (
        "Check this computer's internet connection and proxy settings, then run it again"
        " (--retry-for SECONDS tries for longer). Nothing was changed by the failed tries."
    ),
    Reason.DATABASE_UNREACHABLE: (
        "Check that the database server is on and reachable from this computer, then run"
        " it again (--retry-for SECONDS tries for longer)."
    ),
    Reason.ONLINE_ERROR: (
        "Check the online service address and any proxy in between; if it lasts, send a"
        " diagnostics file ('contacts-migration diagnostics') to support."
    ),
}


class GaveUp(OnlineError):
    """A one-shot call kept failing until its deadline; says how long and what failed."""

    def __init__(
        self, *, what: str, elapsed: float, attempts: int, reason: Reason, detail: str
    ) -> None:
        super().__init__(
            f"Gave up on {what} after trying for {elapsed:.0f} s"
            f" ({attempts} tries). The last failure: {detail}",
            GIVE_UP_FIX.get(reason, GIVE_UP_FIX[Reason.ONLINE_UNREACHABLE]),
        )
        self.reason = reason


# --- settings and activation -----------------------------------------------------------


class SettingsError(UserFacingError):
    """A settings, state or credentials file is missing, unreadable or invalid."""


class InsecureServiceUrl(SettingsError):
    """The online service's address would send secrets and contacts unencrypted."""


class LoginProblem(UserFacingError):
    """The practice's online login email is missing or not an active employee's."""


class TermsNotAccepted(UserFacingError):
    """Activation was asked for before the person accepted the current Terms of use."""

    def __init__(self, title: str, version: str) -> None:
        super().__init__(
            f"The Terms of use ({title}, version {version}) must be accepted first.",
            "Read them and agree in the wizard, or pass --accept-terms.",
        )
        self.version = version


class FailedCheck(Protocol):
    """What a failed pre-flight check tells (``engine.api.Check`` has it); a protocol so
    the error tree needs nothing from the modules that raise it."""

    @property
    def problem(self) -> str: ...

    @property
    def fix(self) -> str: ...


class PreflightFailed(UserFacingError):
    """Activation stopped because some of its checks (``Engine.preflight``) failed."""

    def __init__(self, failed: Sequence[FailedCheck]) -> None:
        lines = "; ".join(f"{c.problem} {c.fix}".strip() for c in failed)
        super().__init__(f"Contacts Migration can't be activated yet: {lines}")
        self.failed = failed


# --- the table from exception to status reason -----------------------------------------


class Retry(StrEnum):
    """Whether trying again can fix a failure."""

    #: A passing fault: the agent retries it, a one-shot call too (until its deadline).
    HELPS = "helps"
    #: A refusal asking again is unlikely to change: the agent keeps trying (its light
    #: turns red after the grace); a one-shot call stops.
    UNLIKELY = "unlikely"
    #: Needs a person (credentials, activation, the login, the schema): the light turns
    #: red at once; a one-shot call stops at once.
    CANNOT_HELP = "cannot_help"


@dataclass(frozen=True)
class ReasonRow:
    """What one kind of error means on the status light."""

    reason: Reason
    retry: Retry
    #: False: the reason's own words say it all (the exception's would repeat them).
    with_detail: bool = True


#: Exception → what it means on the light, looked up along the exception's class
#: hierarchy (a subclass without a row means what its parent means). ``None``: not a
#: status reason, because the caller handles it itself (fencing, checkpoint conflicts,
#: batch splitting, set-asides) or it never reaches the agent (settings, activation).
STATUS_REASONS: Final[Mapping[type[UserFacingError], ReasonRow | None]] = {
    UserFacingError: None,
    SourceError: ReasonRow(Reason.DATABASE_UNREACHABLE, Retry.HELPS),
    SchemaError: ReasonRow(Reason.DATABASE_SCHEMA, Retry.CANNOT_HELP),
    ConnectionStringError: ReasonRow(Reason.DATABASE_UNREACHABLE, Retry.HELPS),
    OnlineError: ReasonRow(Reason.ONLINE_ERROR, Retry.UNLIKELY),
    TransientOnlineError: ReasonRow(Reason.ONLINE_UNREACHABLE, Retry.HELPS),
    CredentialsRejected: ReasonRow(Reason.CREDENTIALS_REJECTED, Retry.CANNOT_HELP),
    SignInNeeded: ReasonRow(Reason.SIGN_IN_AGAIN, Retry.CANNOT_HELP, with_detail=False),
    SignInFailed: None,
    NotActivated: ReasonRow(Reason.NOT_ACTIVATED, Retry.CANNOT_HELP, with_detail=False),
    OnlineProtocolError: ReasonRow(Reason.ONLINE_ERROR, Retry.HELPS),  # a proxy's page
    AnswerRefused: ReasonRow(Reason.ONLINE_ERROR, Retry.HELPS),  # a portal's bomb
    RequestRefused: ReasonRow(Reason.ONLINE_ERROR, Retry.UNLIKELY),
    UntrustedCertificate: ReasonRow(Reason.ONLINE_UNREACHABLE, Retry.UNLIKELY),
    GaveUp: ReasonRow(Reason.ONLINE_ERROR, Retry.UNLIKELY),
    StaleEpoch: None,
    CheckpointConflict: None,
    PayloadTooLarge: None,
    InvalidDocuments: None,
    SettingsError: None,
    InsecureServiceUrl: None,
    LoginProblem: ReasonRow(Reason.LOGIN_NOT_ACTIVE_EMPLOYEE, Retry.CANNOT_HELP),
    TermsNotAccepted: None,
    PreflightFailed: None,
}


def status_reason(error: UserFacingError) -> ReasonRow | None:
    """The row of ``error``'s nearest class in :data:`STATUS_REASONS`."""
    for cls in type(error).__mro__:
        if issubclass(cls, UserFacingError) and cls in STATUS_REASONS:
            return STATUS_REASONS[cls]
    return None
