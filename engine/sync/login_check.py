"""The practice login and the schema, checked every few seconds even when idle, so the
light is honest before the next change would have hit the problem.

What it reads (the schema, the practice settings, the employees) can only change with a
write to the database: while the database's change token stays where it was when the
check last passed, the token's look is the whole check (a round trip to the database,
and nothing it would read can differ). Tokens are per connection, so a reconnect (whose
source must learn its optional columns again) reads everything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from engine.practice.rules import check_practice_login
from engine.sources.base import Employee, Source
from engine.status.model import EngineState
from engine.sync.counters import Counters
from engine.sync.source_worker import SourceWorker

log = logging.getLogger(__name__)

#: What the check reads: optional columns missing, practice settings, employees.
LoginFacts = tuple[tuple[str, ...], dict[str, str], list[Employee]]


class LoginCheck:
    def __init__(
        self,
        worker: SourceWorker,
        state: EngineState,
        changed: Callable[[], None],
        counters: Counters,
    ) -> None:
        self._worker = worker
        self._state = state
        self._changed = changed
        self._counters = counters
        #: The token read just before the check last passed in full (None: none).
        self._passed: int | None = None

    async def run(self) -> bool:
        """Raise LoginProblem/SchemaError/SourceError on a problem; True when an optional
        column appeared (its documents changed without their row versions moving: only
        comparing hashes finds them)."""
        passed = self._passed

        def read(source: Source) -> tuple[int | None, LoginFacts | None]:
            token = source.change_token()  # a round trip to the database itself
            if token is not None and token == passed:
                return token, None  # nobody wrote since the check passed: it still does
            return token, (source.check_schema(), source.practice_settings(), source.employees())

        token, facts = await self._worker.call(read)
        if facts is None:
            return False
        self._passed = None
        missing, settings, employees = facts
        appeared = False
        if missing != self._state.missing_columns:
            log.warning("the database lacks optional columns (read as empty): %s", missing)
            appeared = bool(set(self._state.missing_columns) - set(missing))
            self._state.missing_columns = missing
            self._changed()
        check_practice_login(settings, employees)
        self._passed = token
        self._counters.login_checks += 1
        return appeared
