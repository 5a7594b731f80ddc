"""Liveness: both sides confirmed by a real round trip at a steady interval.

Green promises that sync is running normally, so the agent can't wait for the next edit
to find out the service went away. Every ``liveness_interval`` it asks the service for
its sync state (which also shows whether another computer took the lease) and runs the
practice-login check on the database (a small query that also proves the schema), both
at once and each bounded by ``liveness_timeout``, whether the agent is idle, migrating
or sending changes: a hung upload can't hide a fault for longer than that.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from engine.errors import (
    CredentialsRejected,
    LoginProblem,
    NotActivated,
    OnlineError,
    SchemaError,
    SignInNeeded,
    SourceError,
    TransientOnlineError,
)
from engine.online.client import OnlineClient
from engine.online.unreachable import Unreachable
from engine.status.health import Channel, Health
from engine.status.model import Reason

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds the lease now, as the service said."""

    epoch: int
    machine: str | None


def lease_lost_text(machine: str | None) -> tuple[str, str]:
    """The plain sentence and the detail for a lease taken by another computer."""
    if machine:
        return (
            f"Another computer ({machine}) took over keeping this practice's contacts in sync.",
            f"The online service says {machine} holds the sync lease now.",
        )
    return (
        "Another computer took over keeping this practice's contacts in sync.",
        "The online service fenced off this computer's writes (a newer lease exists).",
    )


async def ask_lease_holder(online: OnlineClient, timeout: float) -> LeaseHolder:
    """Which machine took the lease, so the person is told (best effort: epoch 0 and no
    machine when the service does not answer in time)."""
    try:
        state = await asyncio.wait_for(online.sync_state(), timeout)
    except (TimeoutError, OnlineError):
        return LeaseHolder(0, None)
    return LeaseHolder(state.epoch, state.lease_machine)


class Watcher:
    """Runs the liveness round trips and notes what they prove in :class:`Health`."""

    def __init__(
        self,
        health: Health,
        online: OnlineClient,
        check_database: Callable[[], Awaitable[None]],
        epoch: Callable[[], int],
        lease_lost: Callable[[LeaseHolder], None],
        recovered: Callable[[], None],
        *,
        interval: float,
        timeout: float,
    ) -> None:
        self._health = health
        self._online = online
        self._check_database = check_database
        self._epoch = epoch
        self._lease_lost = lease_lost
        self._recovered = recovered
        self.interval = interval
        self.timeout = min(timeout, interval * 0.8)
        self.rounds = 0

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set; a failing round never ends the watch."""
        while not stop.is_set():
            try:
                await asyncio.wait_for(stop.wait(), self.interval)
                return
            except TimeoutError:
                pass
            try:
                await self.round()
            except Exception:  # the watch must outlive any surprise
                log.exception("a liveness round failed unexpectedly")

    async def round(self) -> None:
        """One round trip to each side, at once; then clear what they proved."""
        await asyncio.gather(self._database(), self._service())
        self.rounds += 1
        if self._health.settle():
            self._recovered()

    async def _database(self) -> None:
        started = time.monotonic()
        try:
            await asyncio.wait_for(self._check_database(), self.timeout)
        except TimeoutError:
            self._health.fault(
                Reason.DATABASE_UNREACHABLE,
                f"The practice database did not answer within {self.timeout:g} s.",
            )
        except LoginProblem as error:
            self._health.fault(Reason.LOGIN_NOT_ACTIVE_EMPLOYEE, error.problem, immediate=True)
        except SchemaError as error:
            self._health.fault(Reason.DATABASE_SCHEMA, error.problem, immediate=True)
        except SourceError as error:
            self._health.fault(Reason.DATABASE_UNREACHABLE, error.problem)
        else:
            self._health.confirmed(Channel.DATABASE, started)
            self._health.confirmed(Channel.LOGIN, started)

    async def _service(self) -> None:
        try:
            await asyncio.wait_for(self._ask_service(), self.timeout)
        except TimeoutError:
            error = TransientOnlineError(
                f"The online service at {self._online.base_url} did not answer within "
                f"{self.timeout:g} s.",
                kind=Unreachable.NOT_ANSWERING,
            )
            self._health.fault(Reason.ONLINE_UNREACHABLE, error.problem, error=error)
        except SignInNeeded as error:
            self._health.fault(Reason.SIGN_IN_AGAIN, error.problem, immediate=True)
        except CredentialsRejected as error:
            self._health.fault(Reason.CREDENTIALS_REJECTED, error.problem, immediate=True)
        except NotActivated as error:
            self._health.fault(Reason.NOT_ACTIVATED, error.problem, immediate=True)
        except TransientOnlineError as error:
            self._health.fault(Reason.ONLINE_UNREACHABLE, error.problem, error=error)
        except OnlineError as error:
            self._health.fault(Reason.ONLINE_ERROR, error.problem, error=error)
        else:
            self._health.confirmed(Channel.ONLINE, self._online.answered_at)

    async def _ask_service(self) -> None:
        epoch = self._epoch()
        if epoch == 0:  # no lease yet: reachability and credentials only
            practice = await self._online.practice()
            if not practice.activated:
                raise NotActivated()
            return
        state = await self._online.sync_state()
        if state.epoch != epoch:
            self._lease_lost(LeaseHolder(state.epoch, state.lease_machine))
