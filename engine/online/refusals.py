"""What the online service can answer besides success, as exceptions the agent acts on.

Kept apart from :mod:`engine.online.client` (which re-exports them) so the client stays small.
"""

from __future__ import annotations

from engine.contract.wire import ErrorCode as ErrorCode
from engine.errors import OnlineError
from engine.online.network import UNREACHABLE_TEXT, Unreachable


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
    def __init__(self, detail: str) -> None:
        super().__init__(
            f"The online service rejected the program's credentials ({detail}).",
            "Check the client id and secret (run 'contacts-migration activate' again).",
        )


class OnlineProtocolError(OnlineError):
    """The service answered something that is not the API (HTML page, wrong JSON...)."""

    def __init__(self, problem: str) -> None:
        super().__init__(
            problem,
            "Check the online service address (and any proxy in between); nothing was changed.",
        )


class StaleEpoch(OnlineError):
    def __init__(self) -> None:
        super().__init__(
            "Another agent took over synchronising this practice.",
            "Nothing to do if another workstation runs it; otherwise restart this one.",
        )


class CheckpointConflict(OnlineError):
    def __init__(self) -> None:
        super().__init__("The online checkpoint moved under this agent.")


class NotActivated(OnlineError):
    def __init__(self) -> None:
        super().__init__(
            "Contacts Migration is not activated for this practice online.",
            "Activate it from Maintenance > Online > Activate Contacts Migration.",
        )


class PayloadTooLarge(OnlineError):
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
