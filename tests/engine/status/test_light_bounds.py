"""Every fault kind, in every phase, leaves green with its own reason and words, turns red
after the grace (or at once when a retry can't fix it), and comes back only after a real
round trip. Table-driven over one liveness round; time past the fault is the engine's own
clock (``derive_status(now=...)``), so nothing sleeps.

The online failure shapes a real server can't easily produce (DNS, no network, a proxy, a
certificate) come from ``httpx.MockTransport``; the end-to-end tests in
``test_light_e2e.py`` use the real sandbox and database servers.
"""

from __future__ import annotations

import errno
import socket
import ssl
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from engine.errors import LoginProblem, SchemaError, SourceError
from engine.local.config import EngineConfig
from engine.local.settings import DEFAULT_LIVENESS_SECONDS
from engine.online.client import Credentials, OnlineClient
from engine.online.unreachable import UNREACHABLE_TEXT, Unreachable
from engine.status.health import Health
from engine.status.model import (
    FAULT_GRACE_SECONDS,
    EngineState,
    Light,
    Phase,
    Reason,
    derive_status,
)
from engine.sync.liveness import LeaseHolder, Watcher, lease_lost_text
from engine.texts import REASON_WORDS

#: The promised bounds (README "What the light means").
LEAVES_GREEN_WITHIN = 10.0
RED_WITHIN = 75.0

Route = Callable[[httpx.Request], httpx.Response]


def _json(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


def service(epoch: int = 1, machine: str | None = None, activated: bool = True) -> Route:
    """A well-behaved service: token, practice, sync state."""

    def route(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/oauth/token"):
            return _json({"access_token": "t", "expires_in": 3600})
        if not activated and path.endswith("/sync/state"):
            return _json({"error": "not_activated", "message": "Not activated."}, 409)
        if path.endswith("/practice"):
            return _json(
                {
                    "practice_id": "p",
                    "live_activated": True,
                    "contacts_migration": {"activated": activated},
                }
            )
        return _json(
            {
                "epoch": epoch,
                "checkpoint": None,
                "contact_count": 0,
                "checksum": "0" * 64,
                "lease_machine": machine,
            }
        )

    return route


def raising(error: Exception) -> Route:
    def route(request: httpx.Request) -> httpx.Response:
        raise error

    return route


def answering(status: int, body: object | None = None) -> Route:
    def route(request: httpx.Request) -> httpx.Response:
        return _json(body if body is not None else {"error": "x", "message": "m"}, status)

    return route


def _refused() -> Exception:
    error = httpx.ConnectError("All connection attempts failed")
    error.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    return error


def _dns() -> Exception:
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return error


def _offline() -> Exception:
    error = httpx.ConnectError("[Errno 101] Network is unreachable")
    error.__cause__ = OSError(errno.ENETUNREACH, "Network is unreachable")
    return error


def _certificate() -> Exception:
    cause = ssl.SSLCertVerificationError(1, "certificate verify failed: self-signed certificate")
    cause.verify_message = "self-signed certificate"
    error = httpx.ConnectError("certificate verify failed")
    error.__cause__ = cause
    return error


@dataclass(frozen=True)
class Kind:
    """One fault kind: how to cause it in a liveness round, and what it must show."""

    name: str
    reason: Reason
    immediate: bool
    route: Route = field(default_factory=service)
    database: Exception | None = None
    #: The plain sentence expected (None: the reason's own).
    message: str | None = None


KINDS = [
    Kind(
        "service refusing",
        Reason.ONLINE_UNREACHABLE,
        False,
        raising(_refused()),
        message=UNREACHABLE_TEXT[Unreachable.REFUSED][0],
    ),
    Kind(
        "service not answering",
        Reason.ONLINE_UNREACHABLE,
        False,
        raising(httpx.ReadTimeout("timed out")),
        message=UNREACHABLE_TEXT[Unreachable.NOT_ANSWERING][0],
    ),
    Kind(
        "dns failure",
        Reason.ONLINE_UNREACHABLE,
        False,
        raising(_dns()),
        message=UNREACHABLE_TEXT[Unreachable.NAME_NOT_FOUND][0],
    ),
    Kind(
        "no network",
        Reason.ONLINE_UNREACHABLE,
        False,
        raising(_offline()),
        message=UNREACHABLE_TEXT[Unreachable.NO_NETWORK][0],
    ),
    Kind(
        "proxy refusing",
        Reason.ONLINE_UNREACHABLE,
        False,
        raising(httpx.ProxyError("407 Proxy Authentication Required")),
        message=UNREACHABLE_TEXT[Unreachable.PROXY][0],
    ),
    Kind(
        "certificate",
        Reason.ONLINE_UNREACHABLE,
        False,
        raising(_certificate()),
        message=UNREACHABLE_TEXT[Unreachable.CERTIFICATE][0],
    ),
    Kind(
        "service 503",
        Reason.ONLINE_UNREACHABLE,
        False,
        answering(503),
        message=UNREACHABLE_TEXT[Unreachable.FAILING][0],
    ),
    Kind("service 400", Reason.ONLINE_ERROR, False, answering(400)),
    Kind("credentials revoked", Reason.CREDENTIALS_REJECTED, True, answering(401)),
    Kind("not activated", Reason.NOT_ACTIVATED, True, service(activated=False)),
    Kind(
        "lease taken",
        Reason.LEASE_LOST,
        True,
        service(epoch=2, machine="FRONTDESK"),
        message=lease_lost_text("FRONTDESK")[0],
    ),
    Kind(
        "database down",
        Reason.DATABASE_UNREACHABLE,
        False,
        database=SourceError("The practice database can't be reached (refused)."),
    ),
    Kind(
        "schema missing",
        Reason.DATABASE_SCHEMA,
        True,
        database=SchemaError("The table Contact is missing."),
    ),
    Kind(
        "login employee inactive",
        Reason.LOGIN_NOT_ACTIVE_EMPLOYEE,
        True,
        database=LoginProblem("a@b.c is not an active employee."),
    ),
]

PHASES = [Phase.IDLE, Phase.MIGRATING, Phase.CATCHING_UP]


class Rig:
    """A watcher over a switchable online route and database check."""

    def __init__(self, phase: Phase, epoch: int) -> None:
        self.state = EngineState(phase=phase, total=3, done=1, pass_started=1.0)
        self.health = Health(self.state, lambda: None)
        self.route: Route = service()
        self.database: Exception | None = None
        self.lost: list[LeaseHolder] = []

        def dispatch(request: httpx.Request) -> httpx.Response:
            return self.route(request)

        self.online = OnlineClient(
            "https://service.test", Credentials("id", "s"), transport=httpx.MockTransport(dispatch)
        )

        async def check_database() -> None:
            if self.database is not None:
                raise self.database

        def lease_lost(holder: LeaseHolder) -> None:
            self.lost.append(holder)
            message, detail = lease_lost_text(holder.machine)
            self.health.fault(Reason.LEASE_LOST, detail, immediate=True, message=message)

        self.watcher = Watcher(
            self.health,
            self.online,
            check_database,
            lambda: epoch,
            lease_lost,
            lambda: None,
            interval=DEFAULT_LIVENESS_SECONDS,
            timeout=EngineConfig("s", "u", Credentials("a", "b")).liveness_timeout,
        )


def test_one_round_is_due_well_within_the_bound() -> None:
    """A fault is seen by the next round: at most one interval plus one timeout away."""
    config = EngineConfig("s", "u", Credentials("a", "b"))
    watcher = Rig(Phase.IDLE, 1).watcher
    assert config.liveness_interval + watcher.timeout <= LEAVES_GREEN_WITHIN
    assert FAULT_GRACE_SECONDS + config.liveness_interval + watcher.timeout <= RED_WITHIN


@pytest.mark.parametrize("phase", PHASES, ids=[p.value for p in PHASES])
@pytest.mark.parametrize("kind", KINDS, ids=[k.name for k in KINDS])
async def test_fault_kind_in_phase(kind: Kind, phase: Phase) -> None:
    rig = Rig(phase, epoch=1)
    try:
        await rig.watcher.round()
        assert rig.state.fault is None
        healthy = derive_status(rig.state, now=100.0)
        assert healthy.light is (Light.GREEN if phase is Phase.IDLE else Light.ORANGE)
        assert not healthy.retrying

        rig.route, rig.database = kind.route, kind.database
        await rig.watcher.round()
        fault = rig.state.fault
        assert fault is not None, "the round did not notice the fault"
        at_once = derive_status(rig.state, now=fault.since)
        assert at_once.reason is kind.reason
        assert at_once.light is (Light.RED if kind.immediate else Light.ORANGE)
        assert at_once.light is not Light.GREEN
        expected = kind.message or REASON_WORDS[kind.reason].problem
        assert expected.lower().rstrip(".") in at_once.message.lower()
        assert at_once.fix and at_once.detail
        assert at_once.message.count(". ") == 0, "one plain sentence"
        if kind.reason is Reason.LEASE_LOST:
            assert "FRONTDESK" in at_once.message
            assert [h.machine for h in rig.lost] == ["FRONTDESK"]
        before_red = derive_status(rig.state, now=fault.since + FAULT_GRACE_SECONDS - 0.5)
        assert before_red.light is (Light.RED if kind.immediate else Light.ORANGE)
        red = derive_status(rig.state, now=fault.since + FAULT_GRACE_SECONDS)
        assert (red.light, red.reason) == (Light.RED, kind.reason)

        # Still failing: more rounds never recover it, and it keeps its first "since".
        await rig.watcher.round()
        assert rig.state.fault is not None and rig.state.fault.since == fault.since

        if kind.reason is Reason.LEASE_LOST:
            return  # only a new lease ends it (the agent's main loop; see the e2e tests)
        rig.route, rig.database = service(), None
        await rig.watcher.round()
        assert rig.state.fault is None, "a successful round trip must end the fault"
        back = derive_status(rig.state, now=fault.since + 1000)
        assert back.light is healthy.light and not back.retrying
    finally:
        await rig.online.aclose()


async def test_a_database_success_does_not_end_an_online_fault() -> None:
    """Today's bug: a database-only step "recovered" the service 0.3 s after it failed."""
    rig = Rig(Phase.IDLE, epoch=1)
    try:
        rig.route = raising(_refused())
        await rig.watcher.round()
        assert rig.state.fault is not None
        assert rig.state.fault.reason is Reason.ONLINE_UNREACHABLE
        rig.health.confirmed_at  # noqa: B018 - the database answered in that round
        from engine.status.health import Channel

        rig.health.confirmed(Channel.DATABASE, float("inf"))
        assert not rig.health.settle()
        assert rig.state.fault is not None
    finally:
        await rig.online.aclose()


async def test_a_success_begun_before_the_fault_does_not_end_it() -> None:
    """A request already in flight when the service fell over proves nothing."""
    from engine.status.health import Channel

    rig = Rig(Phase.IDLE, epoch=1)
    try:
        rig.route = raising(_refused())
        await rig.watcher.round()
        assert rig.state.fault is not None
        rig.health.confirmed(Channel.ONLINE, 0.0)  # begun long before
        assert not rig.health.settle()
        assert rig.state.fault is not None
    finally:
        await rig.online.aclose()


async def test_both_sides_failing_show_the_one_a_retry_cant_fix_and_clear_separately() -> None:
    rig = Rig(Phase.IDLE, epoch=1)
    try:
        rig.route = raising(_refused())
        rig.database = LoginProblem("a@b.c is not an active employee.")
        await rig.watcher.round()
        assert rig.state.fault is not None
        assert rig.state.fault.reason is Reason.LOGIN_NOT_ACTIVE_EMPLOYEE
        rig.database = None
        await rig.watcher.round()
        assert rig.state.fault is not None
        assert rig.state.fault.reason is Reason.ONLINE_UNREACHABLE
        rig.route = service()
        await rig.watcher.round()
        assert rig.state.fault is None
    finally:
        await rig.online.aclose()
