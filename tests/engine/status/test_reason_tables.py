"""Every table keyed by :class:`Reason` covers every reason, or says why it doesn't.

A new reason added to ``engine/texts.py`` alone once passed every test and raised
``KeyError`` at the first real fault (its channel was missing). Each table is checked
here, so adding a reason is guided by a failing test naming the table to extend.
"""

from __future__ import annotations

from engine.errors import GIVE_UP_FIX, STATUS_REASONS, Retry
from engine.status.health import CHANNEL_OF_REASON, Channel
from engine.status.model import NEEDS_ACTIVATION
from engine.texts import REASON_WORDS, Reason


def test_every_reason_has_a_channel_that_proves_it_over() -> None:
    missing = sorted(set(Reason) - set(CHANNEL_OF_REASON))
    assert not missing, f"add these to CHANNEL_OF_REASON (engine/status/health.py): {missing}"
    assert set(CHANNEL_OF_REASON.values()) <= set(Channel)


def test_every_reason_has_its_words() -> None:
    missing = sorted(set(Reason) - set(REASON_WORDS))
    assert not missing, f"add these to REASON_WORDS (engine/texts.py): {missing}"


def test_partial_tables_name_only_reasons_and_fall_back_for_the_rest() -> None:
    """GIVE_UP_FIX is partial on purpose (a one-shot call gives up only on transient
    faults, and falls back to the unreachable advice); NEEDS_ACTIVATION is a subset."""
    assert set(GIVE_UP_FIX) <= set(Reason)
    assert Reason.ONLINE_UNREACHABLE in GIVE_UP_FIX
    missing = sorted(_transient_reasons() - set(GIVE_UP_FIX))
    assert not missing, f"a one-shot call can give up on these; add GIVE_UP_FIX words: {missing}"
    assert set(Reason) >= NEEDS_ACTIVATION


def test_every_state_has_its_light_and_words() -> None:
    """A new SyncState fails here until it has a light and a headline."""
    from engine.status.model import LIGHT_OF_STATE, SyncState
    from engine.status.wording import STATE_HEADLINE

    assert set(LIGHT_OF_STATE) == set(SyncState), "add it to LIGHT_OF_STATE (model.py)"
    assert set(STATE_HEADLINE) == set(SyncState), "add it to STATE_HEADLINE (wording.py)"


def test_a_retried_reason_says_what_is_being_reached() -> None:
    """While a fault is retried the headline names what is tried ("Trying to reach the
    online service"): every reason a retry can fix has its words in TRYING_TO_REACH."""
    from engine.status.wording import TRYING_TO_REACH

    missing = sorted(_transient_reasons() - set(TRYING_TO_REACH))
    assert not missing, f"add these to TRYING_TO_REACH (engine/status/wording.py): {missing}"


def _transient_reasons() -> set[Reason]:
    rows = [row for row in STATUS_REASONS.values() if row is not None]
    return {row.reason for row in rows if row.retry is Retry.HELPS}
