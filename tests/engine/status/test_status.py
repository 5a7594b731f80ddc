"""The status model: one table maps engine state to the traffic light."""

from __future__ import annotations

from engine.status.model import (
    FAULT_GRACE_SECONDS,
    EngineState,
    Fault,
    Light,
    Phase,
    Reason,
    Status,
    SyncState,
    derive_status,
)


def test_idle_agent_is_green() -> None:
    status = derive_status(EngineState(phase=Phase.IDLE), now=100.0)
    assert (status.state, status.light, status.reason) == (SyncState.ACTIVE, Light.GREEN, None)


def test_migration_is_orange_with_rate_and_eta() -> None:
    state = EngineState(phase=Phase.MIGRATING, done=500, total=2000, pass_started=90.0)
    status = derive_status(state, now=100.0)
    assert status.light is Light.ORANGE
    assert status.progress is not None
    assert status.progress.rate_per_second == 50.0
    assert status.progress.eta_seconds == 30.0


def test_short_fault_stays_orange_and_says_retrying() -> None:
    state = EngineState(phase=Phase.IDLE, fault=Fault(Reason.ONLINE_UNREACHABLE, "x", since=100.0))
    status = derive_status(state, now=100.0 + FAULT_GRACE_SECONDS - 1)
    assert status.light is Light.ORANGE
    assert status.retrying
    assert status.message.startswith("Retrying")


def test_lasting_fault_turns_red_with_reason_and_fix() -> None:
    state = EngineState(phase=Phase.IDLE, fault=Fault(Reason.DATABASE_UNREACHABLE, "", 100.0))
    status = derive_status(state, now=100.0 + FAULT_GRACE_SECONDS)
    assert status.state is SyncState.INACTIVE
    assert status.light is Light.RED
    assert status.reason is Reason.DATABASE_UNREACHABLE
    assert status.fix


def test_fault_a_retry_cannot_fix_is_red_at_once() -> None:
    fault = Fault(Reason.LOGIN_NOT_ACTIVE_EMPLOYEE, "a@b.c", 100.0, immediate=True)
    status = derive_status(EngineState(phase=Phase.IDLE, fault=fault), now=100.0)
    assert status.light is Light.RED
    assert "a@b.c" in status.detail


def test_stopped_is_red_and_standby_is_green() -> None:
    assert derive_status(EngineState(), now=1.0).light is Light.RED
    standby = derive_status(EngineState(phase=Phase.STANDBY), now=1.0)
    assert (standby.state, standby.light) == (SyncState.STANDBY, Light.GREEN)


def test_status_round_trips_through_json() -> None:
    state = EngineState(phase=Phase.MIGRATING, done=1, total=2, pass_started=1.0)
    state.set_aside[7] = "bad"
    status = derive_status(state, now=2.0)
    assert Status.from_json(status.to_json()) == status
