"""The status model: one table maps engine state to the traffic light."""

from __future__ import annotations

from engine.status.model import (
    FACT_FIELDS,
    FAULT_GRACE_SECONDS,
    LIGHT_OF_STATE,
    Command,
    EngineState,
    Fault,
    Light,
    Phase,
    Reason,
    Status,
    SyncState,
    derive_status,
    red_status,
)
from engine.status.wording import last_confirmed_line, progress_label, state_headline
from engine.texts import REASON_WORDS, FrontEnd, words_for


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
    assert status.state is SyncState.RETRYING


def test_each_orange_state_names_what_it_is_doing() -> None:
    """One orange light, distinct states and words: migrating, sending, retrying."""
    migrating = derive_status(
        EngineState(phase=Phase.MIGRATING, done=50_043, total=100_000, pass_started=1.0), 10.0
    )
    assert migrating.state is SyncState.MIGRATING and migrating.light is Light.ORANGE
    assert state_headline(migrating, 10.0) == "Migrating: 50,043 of 100,000"
    assert progress_label(migrating) == "50,043 of 100,000 contacts online"
    # Before the first confirmation: how far the migration is, not "never".
    assert last_confirmed_line(migrating, 10.0) == (
        "Online copy last confirmed up to date: not yet (50,043 of 100,000 migrated)"
    )
    sending = derive_status(
        EngineState(phase=Phase.CATCHING_UP, done=0, total=3, pass_started=1.0), 10.0
    )
    assert sending.state is SyncState.SENDING and sending.light is Light.ORANGE
    assert state_headline(sending, 10.0) == "Sending 3 changes"
    assert progress_label(sending) == "0 of 3 changes sent"
    one = derive_status(EngineState(phase=Phase.CATCHING_UP, total=1, pass_started=1.0), 10.0)
    assert state_headline(one, 10.0) == "Sending 1 change"
    fault = Fault(Reason.ONLINE_UNREACHABLE, "x", since=100.0, observed="refused")
    retrying = derive_status(
        EngineState(phase=Phase.IDLE, fault=fault, next_try_at=104.0, last_sync_at=40.0), 100.2
    )
    assert retrying.state is SyncState.RETRYING and retrying.light is Light.ORANGE
    assert retrying.observed == "refused"
    assert state_headline(retrying, 100.2) == (
        "Trying to reach the online service (next try in 4 s)"
    )
    assert state_headline(retrying, 104.5) == "Trying to reach the online service (trying now)"
    assert last_confirmed_line(retrying, 100.2) == (
        "Online copy last confirmed up to date: 1 min ago"
    )
    db = Fault(Reason.DATABASE_UNREACHABLE, "x", since=100.0)
    assert state_headline(derive_status(EngineState(phase=Phase.IDLE, fault=db), 101.0)) == (
        "Trying to reach the practice database"
    )
    for status in (migrating, sending, retrying):
        assert "migrating" not in state_headline(status).lower() or status is migrating
    assert SyncState.MIGRATING in STATES_OF_ORANGE and SyncState.RETRYING in STATES_OF_ORANGE


def test_advice_fits_what_was_observed() -> None:
    """Refused, not answering, DNS, certificate and proxy: each its own steps, settings
    details only under For IT."""
    kinds = ("refused", "not_answering", "name_not_found", "certificate", "proxy")
    words = {kind: words_for(Reason.ONLINE_UNREACHABLE, kind) for kind in kinds}
    assert len({w.steps for w in words.values()}) == len(kinds)
    assert len({w.meaning for w in words.values()}) == len(kinds)
    for kind, text in words.items():
        assert text.for_it, kind
        for step in text.steps_for(FrontEnd.GUI):
            assert "[online]" not in step and "ca_file" not in step, (kind, step)
    assert "restart" in words["refused"].meaning
    assert "did not answer" in words["not_answering"].meaning
    assert "DNS" in words["name_not_found"].meaning
    assert "ca_file" in " ".join(words["certificate"].for_it)
    assert "[online] proxy" in " ".join(words["proxy"].for_it)
    for reason, text in REASON_WORDS.items():  # no settings-file jargon among any steps
        for step in text.steps_for(FrontEnd.GUI):
            assert "[online]" not in step and "[source]" not in step, (reason, step)


def test_the_steps_after_quit_are_distinct_and_right() -> None:
    steps = REASON_WORDS[Reason.STOPPED].steps_for(FrontEnd.CLI)
    assert len(set(steps)) == len(steps)
    assert sum("contacts-migration run" in step for step in steps) == 1
    assert "another computer" in steps[1]


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


def test_the_button_beside_a_status_is_decided_once() -> None:
    """Every view (tray, status window, troubleshooting) shows ``Status.command``."""
    assert derive_status(EngineState(phase=Phase.IDLE), now=1.0).command is Command.SYNC
    migrating = derive_status(EngineState(phase=Phase.MIGRATING, total=9), now=1.0)
    assert migrating.command is Command.SYNC
    retrying = Fault(Reason.ONLINE_UNREACHABLE, "x", since=1.0)
    orange = derive_status(EngineState(phase=Phase.IDLE, fault=retrying), now=2.0)
    assert orange.light is Light.ORANGE and orange.command is Command.RETRY  # not "Sync now"
    for reason in Reason:
        expected = (
            Command.ACTIVATE
            if reason in (Reason.NOT_ACTIVATED, Reason.NOT_CONFIGURED)
            else Command.SIGN_IN
            if reason is Reason.SIGN_IN_AGAIN
            else Command.RETRY
        )
        assert red_status(reason).command is expected, reason


def test_every_red_status_is_made_one_way() -> None:
    """The reason's own words, unless the fault observed better ones; facts kept."""
    plain = red_status(Reason.DATABASE_UNREACHABLE, detail="(timeout)", updated_at=5.0)
    words = REASON_WORDS[Reason.DATABASE_UNREACHABLE]
    assert (plain.state, plain.light, plain.reason) == (
        SyncState.INACTIVE,
        Light.RED,
        Reason.DATABASE_UNREACHABLE,
    )
    assert (plain.message, plain.fix, plain.detail) == (words.problem, words.fix, "(timeout)")
    assert plain.updated_at == 5.0 and not plain.retrying

    fault = Fault(Reason.LEASE_LOST, "d", since=1.0, immediate=True, message="Taken by X.")
    state = EngineState(phase=Phase.IDLE, fault=fault, online_count=7, last_sync_at=3.0)
    derived = derive_status(state, now=2.0)
    assert derived == red_status(
        Reason.LEASE_LOST, message="Taken by X.", detail="d", retrying=True, **derived.facts()
    )
    assert derived.fix == REASON_WORDS[Reason.LEASE_LOST].fix
    assert derived.facts()["online_count"] == 7 and set(derived.facts()) == set(FACT_FIELDS)


STATES_OF_ORANGE = {state for state, light in LIGHT_OF_STATE.items() if light is Light.ORANGE}
