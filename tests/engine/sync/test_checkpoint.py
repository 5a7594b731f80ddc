from __future__ import annotations

import pytest

from engine.errors import OnlineError
from engine.sync.checkpoint import Checkpoint


def test_fresh_checkpoint_has_not_migrated() -> None:
    assert not Checkpoint.decode(None).migrated
    assert Checkpoint.decode("") == Checkpoint()


def test_pass_lifecycle_round_trips() -> None:
    started = Checkpoint().start_pass(upper=42, lookups="d")
    middle = started.advanced(after=17)
    assert Checkpoint.decode(middle.encode()) == middle
    done = middle.finished()
    assert (done.since, done.upper, done.after, done.in_pass) == (42, None, 0, False)


@pytest.mark.parametrize(
    "text", ["{", "[]", '{"v": 99}', '{"v":1,"since":"x","upper":null,"after":0}']
)
def test_unknown_checkpoint_is_a_clear_error(text: str) -> None:
    with pytest.raises(OnlineError, match="checkpoint"):
        Checkpoint.decode(text)
