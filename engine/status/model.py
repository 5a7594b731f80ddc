"""The one status model every view renders (tray, windows, ``status``, the state file).

It is derived from the engine's own state by :func:`derive_status`, never assembled from
events or log text, so every view tells the same story.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Final

from engine.status.untrusted import visible

# Reason is re-exported: the status model is where the rest of the engine finds it.
from engine.texts import REASON_WORDS, Reason as Reason

#: A fault being retried stays orange ("retrying") this long before it turns red.
FAULT_GRACE_SECONDS: Final = 60.0


class SyncState(StrEnum):
    """What the light means now; the three orange states each say what they are doing."""

    MIGRATING = "migrating"  # orange: the first full migration of every contact
    SENDING = "sending"  # orange: desktop changes being sent (a catch-up)
    STARTING = "starting"  # orange: the agent is starting (signing in, taking the lock)
    RETRYING = "retrying"  # orange: a fault being retried, not yet red
    ACTIVE = "active"  # green: running, nothing pending, last cycle fine
    STANDBY = "standby"  # green: another agent of this practice holds the lock
    INACTIVE = "inactive"  # red: stopped, or a fault that lasted past the grace period


class Light(StrEnum):
    GREEN = "green"
    ORANGE = "orange"
    RED = "red"


class Command(StrEnum):
    """What the one button beside a status does; every view offers the same one."""

    SYNC = "sync"  # "Sync now": all is well or on its way, check now anyway
    RETRY = "retry"  # "Retry now": a fault (red, or orange retrying), try again at once
    ACTIVATE = "activate"  # "Activate…": set up and activate first; nothing to retry yet
    SIGN_IN = "sign_in"  # "Sign in again…": the online sign-in ended; only a person helps


#: Red for these reasons: what is missing is the set-up and activation, not a retry.
NEEDS_ACTIVATION: Final = frozenset({Reason.NOT_CONFIGURED, Reason.NOT_ACTIVATED})

#: The Status fields that are facts rather than the verdict (light, words, progress):
#: what a red status keeps of what was known.
FACT_FIELDS: Final = (
    "online_count",
    "set_aside",
    "missing_columns",
    "last_sync_at",
    "updated_at",
    "machine",
    "details",
    "phase",
)

LIGHT_OF_STATE: Final[dict[SyncState, Light]] = {
    SyncState.MIGRATING: Light.ORANGE,
    SyncState.SENDING: Light.ORANGE,
    SyncState.STARTING: Light.ORANGE,
    SyncState.RETRYING: Light.ORANGE,
    SyncState.ACTIVE: Light.GREEN,
    SyncState.STANDBY: Light.GREEN,
    SyncState.INACTIVE: Light.RED,
}


class Phase(StrEnum):
    """What the agent is doing; the engine's own state that status is derived from."""

    STOPPED = "stopped"
    STARTING = "starting"
    STANDBY = "standby"
    MIGRATING = "migrating"  # the initial full pass
    CATCHING_UP = "catching_up"  # a pass over changed contacts
    IDLE = "idle"  # nothing pending


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    rate_per_second: float
    eta_seconds: float | None
    #: Plain JSON bytes of the contacts online so far in this pass.
    bytes_done: int = 0
    #: The same as sent on the wire (compressed), and its rate: what the link carries.
    wire_bytes_done: int = 0
    wire_bytes_per_second: float = 0.0


@dataclass(frozen=True)
class SetAside:
    """A contact the engine could not send, with the reason (never silently dropped)."""

    contact_id: int
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "reason", visible(self.reason))  # may quote database values


@dataclass(frozen=True)
class Status:
    state: SyncState
    light: Light
    message: str
    reason: Reason | None = None
    fix: str = ""
    #: Technical detail behind the plain message (shown behind "Details", never alone).
    detail: str = ""
    #: What the agent is doing, so views can tell a first migration from a few changes.
    phase: Phase | None = None
    retrying: bool = False
    progress: Progress | None = None
    online_count: int | None = None
    set_aside: tuple[SetAside, ...] = ()
    #: Optional columns the practice database lacks (``Table.Column``): those fields
    #: are empty online until the database has them.
    missing_columns: tuple[str, ...] = ()
    last_sync_at: float | None = None
    updated_at: float = 0.0
    machine: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    #: Wall time of the next attempt while a fault is retried (None: not known).
    next_try_at: float | None = None
    #: What was observed about an online fault (an ``Unreachable`` value: refused, not
    #: answering...), so the advice fits it; empty when nothing more specific is known.
    observed: str = ""

    @property
    def missing_note(self) -> str:
        """One sentence on the optional columns the database lacks; empty when none."""
        if not self.missing_columns:
            return ""
        names = ", ".join(self.missing_columns)
        plural = len(self.missing_columns) > 1
        return (
            f"The practice database has no {names} column{'s' if plural else ''}: "
            f"{'those fields stay' if plural else 'that field stays'} empty online until it "
            f"{'has them' if plural else 'has one'}. Everything else is in sync."
        )

    @property
    def command(self) -> Command:
        """The one button every view offers beside this status."""
        if self.light is not Light.RED:  # orange while retrying: try again now
            return Command.RETRY if self.retrying else Command.SYNC
        if self.reason is Reason.SIGN_IN_AGAIN:
            return Command.SIGN_IN
        return Command.ACTIVATE if self.reason in NEEDS_ACTIVATION else Command.RETRY

    def __post_init__(self) -> None:
        """What a person reads is shown with control characters made visible: it may
        quote the service or the database (engine.status.untrusted)."""
        for name in ("message", "fix", "detail"):
            object.__setattr__(self, name, visible(getattr(self, name)))

    def facts(self) -> dict[str, Any]:
        """What this status knows besides its verdict (see :data:`FACT_FIELDS`)."""
        return {name: getattr(self, name) for name in FACT_FIELDS}

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["set_aside"] = [asdict(item) for item in self.set_aside]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Status:
        progress = data.get("progress")
        reason = data.get("reason")
        return cls(
            state=SyncState(data["state"]),
            light=Light(data["light"]),
            message=str(data.get("message", "")),
            reason=Reason(reason) if reason else None,
            fix=str(data.get("fix", "")),
            detail=str(data.get("detail", "")),
            phase=Phase(data["phase"]) if data.get("phase") else None,
            retrying=bool(data.get("retrying", False)),
            progress=Progress(**progress) if isinstance(progress, dict) else None,
            online_count=data.get("online_count"),
            set_aside=tuple(SetAside(**item) for item in data.get("set_aside") or []),
            missing_columns=tuple(str(each) for each in data.get("missing_columns") or []),
            last_sync_at=data.get("last_sync_at"),
            updated_at=float(data.get("updated_at") or 0.0),
            machine=str(data.get("machine", "")),
            details=dict(data.get("details") or {}),
            next_try_at=data.get("next_try_at"),
            observed=str(data.get("observed") or ""),
        )


def red_status(
    reason: Reason,
    *,
    message: str = "",
    fix: str = "",
    detail: str = "",
    retrying: bool = False,
    **facts: Any,
) -> Status:
    """The one way a red status is made: the reason's own words unless ``message`` and
    ``fix`` fit what was observed better; ``facts`` are :data:`FACT_FIELDS` values."""
    words = REASON_WORDS[reason]
    return Status(
        SyncState.INACTIVE,
        Light.RED,
        message or words.problem,
        reason,
        fix or words.fix,
        detail=detail,
        retrying=retrying,
        **facts,
    )


@dataclass
class Fault:
    reason: Reason
    detail: str
    since: float
    #: Faults a retry can't fix (credentials, login email) turn red at once.
    immediate: bool = False
    #: One plain sentence that fits what was observed; empty: the reason's own sentence.
    message: str = ""
    #: Advice that fits what was observed; empty: the reason's own fix.
    fix: str = ""
    #: What was observed (an ``Unreachable`` value), for the steps that fit it.
    observed: str = ""

    @property
    def text(self) -> tuple[str, str]:
        """The plain sentence and the fix shown for this fault."""
        words = REASON_WORDS[self.reason]
        return self.message or words.problem, self.fix or words.fix


@dataclass
class EngineState:
    """Mutable facts the agent keeps; :func:`derive_status` turns them into a Status."""

    phase: Phase = Phase.STOPPED
    fault: Fault | None = None
    done: int = 0
    total: int = 0
    pass_started: float | None = None
    online_count: int | None = None
    set_aside: dict[int, str] = field(default_factory=dict)
    missing_columns: tuple[str, ...] = ()
    last_sync_at: float | None = None
    machine: str = ""
    #: Plain and on-the-wire bytes the uploads of the current pass delivered.
    bytes_done: int = 0
    wire_bytes_done: int = 0
    #: When the pass's first batch was online, and ``done`` then: the rate is measured
    #: from there, so the time left is not skewed by the start (sign-in, first read).
    rate_from: float | None = None
    rate_from_done: int = 0
    #: Wall time of the next attempt while a fault is retried.
    next_try_at: float | None = None


def _rate_and_eta(state: EngineState, now: float) -> tuple[float, float | None]:
    if state.pass_started is None or state.done <= 0:
        return 0.0, None
    elapsed = max(now - state.pass_started, 1e-6)
    rate = state.done / elapsed
    since = now - state.rate_from if state.rate_from is not None else 0.0
    if since >= 1.0 and state.done > state.rate_from_done:
        rate = (state.done - state.rate_from_done) / since
    remaining = max(state.total - state.done, 0)
    return rate, (remaining / rate if rate > 0 else None)


def _changes(count: int) -> str:
    if count <= 0:
        return "Sending recent changes online."
    return f"Sending {count:,} change{'s' if count != 1 else ''} online."


def derive_status(state: EngineState, now: float, grace: float = FAULT_GRACE_SECONDS) -> Status:
    common: dict[str, Any] = {
        "online_count": state.online_count,
        "set_aside": tuple(SetAside(cid, why) for cid, why in sorted(state.set_aside.items())),
        "missing_columns": state.missing_columns,
        "last_sync_at": state.last_sync_at,
        "updated_at": now,
        "machine": state.machine,
        "phase": state.phase,
        "next_try_at": state.next_try_at if state.fault is not None else None,
        "observed": state.fault.observed if state.fault is not None else "",
    }
    if state.phase is Phase.STOPPED:  # a clean stop says so, whatever it last saw
        return red_status(Reason.STOPPED, **{**common, "next_try_at": None, "observed": ""})
    fault = state.fault
    if fault is not None and (fault.immediate or now - fault.since >= grace):
        return red_status(
            fault.reason,
            message=fault.message,
            fix=fault.fix,
            detail=fault.detail,
            retrying=True,
            **common,
        )
    if state.phase is Phase.STANDBY:
        return Status(
            SyncState.STANDBY,
            Light.GREEN,
            "Another computer is keeping the contacts in sync; this one is on standby.",
            **common,
        )
    progress: Progress | None = None
    if state.phase in (Phase.MIGRATING, Phase.CATCHING_UP):
        rate, eta = _rate_and_eta(state, now)
        elapsed = max(now - (state.pass_started or now), 1e-6)
        progress = Progress(
            state.done,
            max(state.total, state.done),
            rate,
            eta,
            bytes_done=state.bytes_done,
            wire_bytes_done=state.wire_bytes_done,
            wire_bytes_per_second=state.wire_bytes_done / elapsed if state.pass_started else 0.0,
        )
    if fault is not None:
        problem, fix = fault.text
        return Status(
            SyncState.RETRYING,
            Light.ORANGE,
            problem,
            fault.reason,
            fix,
            detail=fault.detail,
            retrying=True,
            progress=progress,
            **common,
        )
    if state.phase is Phase.MIGRATING:
        return Status(
            SyncState.MIGRATING,
            Light.ORANGE,
            "Migrating contacts online.",
            progress=progress,
            **common,
        )
    if state.phase is Phase.STARTING:
        return Status(SyncState.STARTING, Light.ORANGE, "Starting.", **common)
    if state.phase is Phase.CATCHING_UP:
        return Status(
            SyncState.SENDING, Light.ORANGE, _changes(state.total), progress=progress, **common
        )
    return Status(
        SyncState.ACTIVE,
        Light.GREEN,
        "Contacts are in sync; changes made on the desktop are sent online automatically.",
        **common,
    )
