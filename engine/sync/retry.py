"""The one retry policy of every online call: the agent's loop and every one-shot command.

What each failure means is read from one table, :data:`engine.errors.STATUS_REASONS`, by
:func:`classify`: which status reason it is, whether a retry can fix it, and how long the
service asked us to wait. The agent
retries for ever (its light says how long it has been failing); a one-shot call
(``verify``, ``activate``, ``sync --once``, the wizard's checks, Retry now) keeps trying
until a deadline (:func:`run_with_deadline`), reports each retry, and when it gives up
says how long it tried and what failed last (:class:`GaveUp`).
"""

from __future__ import annotations

import asyncio
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Final, TypeVar

import httpx

from engine.errors import GaveUp, Retry, TransientOnlineError, UserFacingError, status_reason
from engine.local.settings import DEFAULT_MAX_BACKOFF_SECONDS, DEFAULT_RETRY_FOR_SECONDS
from engine.online.network import unreachable_kind
from engine.online.unreachable import UNREACHABLE_TEXT
from engine.status.model import Reason
from engine.texts import REASON_WORDS

log = logging.getLogger(__name__)

T = TypeVar("T")

#: A Retry-After longer than this many backoff caps is not honoured in full.
RETRY_AFTER_CAPS: Final = 5.0


@dataclass(frozen=True)
class Failure:
    """What one failed try means."""

    reason: Reason
    #: The failure in plain words (the exception's problem).
    detail: str
    #: A retry can't fix it (wrong credentials, not activated, the login, the schema):
    #: the agent's light turns red at once; a one-shot call stops at once.
    immediate: bool = False
    #: A passing fault (connection, timeout, 429/5xx, database briefly unreachable): a
    #: one-shot call retries it until its deadline. The agent retries every failure.
    transient: bool = False
    #: Seconds the service asked us to wait (Retry-After).
    retry_after: float | None = None


def classify(error: BaseException) -> Failure | None:
    """The meaning of ``error`` (from :data:`engine.errors.STATUS_REASONS`); None for what
    the caller must handle itself."""
    if isinstance(error, httpx.TransportError | httpx.DecodingError):  # escaped the client
        return Failure(
            Reason.ONLINE_UNREACHABLE,
            f"The online service can't be reached ({type(error).__name__}).",
            transient=True,
        )
    if not isinstance(error, UserFacingError):
        return None
    row = status_reason(error)
    if row is None:
        return None
    return Failure(
        row.reason,
        error.problem if row.with_detail else "",
        immediate=row.retry is Retry.CANNOT_HELP,
        transient=row.retry is Retry.HELPS,
        retry_after=error.retry_after if isinstance(error, TransientOnlineError) else None,
    )


def backoff(attempt: int, cap: float, retry_after: float | None = None) -> float:
    """Seconds to wait before try ``attempt + 1``: exponential with jitter, so many
    agents never retry in step, and at least what the service asked for (bounded)."""
    wait = random.uniform(0.5, 1.0) * min(cap, 0.5 * 2.0 ** min(attempt, 30))
    if retry_after is not None:
        wait = max(wait, min(retry_after, RETRY_AFTER_CAPS * cap))
    return wait


@dataclass(frozen=True)
class RetryNotice:
    """Told to the person before each retry of a one-shot call."""

    #: What is being tried ("the comparison", "the activation"...).
    what: str
    failure: Failure
    #: How many tries failed so far.
    attempt: int
    #: Seconds since this call started failing.
    elapsed: float
    #: Seconds until the next try.
    wait: float
    #: Seconds it keeps trying before giving up.
    retry_for: float
    #: What was observed, in one plain sentence (no address, no exception name); empty:
    #: the failure reason's own sentence.
    summary: str = ""

    @staticmethod
    def observed(error: BaseException) -> str:
        """The plain sentence for what ``error`` shows (refused, no network...), if any."""
        if isinstance(error, TransientOnlineError):
            return error.summary
        if isinstance(error, httpx.TransportError):
            return UNREACHABLE_TEXT[unreachable_kind(error)][0]
        return ""

    def plain(self, waited: float = 0.0) -> str:
        """For a person watching a window, ``waited`` seconds after the notice: what
        failed and when it is tried again, no addresses or exception names."""
        left = math.ceil(self.wait - waited)
        when = f"in {left} s" if left > 0 else "now"
        problem = self.summary or REASON_WORDS[self.failure.reason].problem
        return (
            f"{problem} Trying again {when} (attempt {self.attempt + 1}; it keeps trying for"
            f" up to {self.retry_for:.0f} s)…"
        )

    def describe(self) -> str:
        return (
            f"Retrying {self.what} in {self.wait:.1f} s because: {self.failure.detail}"
            f" (attempt {self.attempt}, tried for {self.elapsed:.0f} s;"
            f" gives up after {self.retry_for:.0f} s)"
        )


RetryListener = Callable[[RetryNotice], None]


async def run_with_deadline(
    operation: Callable[[], Awaitable[T]],
    *,
    what: str,
    retry_for: float = DEFAULT_RETRY_FOR_SECONDS,
    max_backoff: float = DEFAULT_MAX_BACKOFF_SECONDS,
    on_retry: RetryListener | None = None,
) -> T:
    """``operation()``, tried again on transient failures until ``retry_for`` seconds
    have passed since it started failing; then :class:`GaveUp` (from the last error).
    Anything a retry can't fix is raised as it is, at once."""
    attempt = 0
    started = time.monotonic()
    while True:
        try:
            return await operation()
        except Exception as error:
            failure = classify(error)
            if failure is None or not failure.transient:
                raise
            attempt += 1
            elapsed = time.monotonic() - started
            remaining = retry_for - elapsed
            wait = min(backoff(attempt - 1, max_backoff, failure.retry_after), max(remaining, 0))
            notice = RetryNotice(
                what, failure, attempt, elapsed, wait, retry_for, RetryNotice.observed(error)
            )
            if remaining <= 0:
                log.info("giving up on %s: %s", what, failure.detail)  # the caller says it
                raise GaveUp(
                    what=what,
                    elapsed=elapsed,
                    attempts=attempt,
                    reason=failure.reason,
                    detail=failure.detail,
                ) from error
            log.info("%s", notice.describe())
            if on_retry is not None:
                on_retry(notice)
            await asyncio.sleep(wait)
