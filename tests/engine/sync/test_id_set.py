"""The ids online: the same answers as a ``set[int]``, in about 8 bytes an id."""

from __future__ import annotations

import random

import pytest

from engine.sync.id_set import FOLD_AT_LEAST, FOLD_SHARE, IdSet


def _same(ids: IdSet, model: set[int]) -> None:
    assert len(ids) == len(model)
    assert list(ids) == sorted(model)


def test_a_first_migration_appends_in_order() -> None:
    ids = IdSet()
    for start in range(1, 10_000, 800):
        ids.update(list(range(start, start + 800)))
    _same(ids, set(range(1, 10_401)))
    assert 5 in ids and 10_400 in ids and 10_401 not in ids and 0 not in ids


@pytest.mark.parametrize("seed", range(6))
def test_it_answers_as_a_set_does(seed: int) -> None:
    """Random adds (in order, out of order, again), discards and copies against a set;
    enough of them that the waiting ids are folded in several times."""
    rng = random.Random(seed)
    ids, model = IdSet(), set()
    for step in range(12_000):
        roll = rng.random()
        if roll < 0.45:
            batch = sorted(rng.sample(range(1, 20_000), rng.randint(1, 30)))
            ids.update(batch)
            model.update(batch)
        elif roll < 0.5:
            batch = [rng.randint(1, 20_000) for _ in range(rng.randint(1, 5))]
            ids.update(iter(batch))  # not a sequence: one at a time
            model.update(batch)
        elif roll < 0.9:
            contact_id = rng.randint(1, 20_000)
            ids.discard(contact_id)
            model.discard(contact_id)
        else:
            probe = rng.randint(0, 20_001)
            assert (probe in ids) == (probe in model), (step, probe)
        if step % 2000 == 0:
            _same(ids, model)
            twin = ids.copy()
            twin.add(99_999)
            assert 99_999 not in ids or 99_999 in model
    _same(ids, model)
    ids.fold()
    _same(ids, model)
    assert "7" not in ids


def test_waiting_ids_are_folded_in() -> None:
    """Ids below every id held wait in a set; past a share of the array they are folded
    in, so the waiting ones never cost more than that share."""
    ids = IdSet(range(100_000, 200_000))
    added = range(1, 60_000, 2)  # 30,000 ids below every id held
    ids.update(added)
    ids.discard(150_000)
    _same(ids, set(range(100_000, 200_000)) - {150_000} | set(added))
    waiting_at_most = max(FOLD_AT_LEAST, len(ids) // FOLD_SHARE) + 1
    assert ids.nbytes() <= 9 * len(ids) + 64 * waiting_at_most
    assert ids.nbytes() < 8 * len(ids) + 64 * 30_000  # some were folded in


def test_a_million_ids_take_about_eight_bytes_each() -> None:
    """The regression the set was: 64 MB for 1,000,000 ids; here ~8 MB."""
    count = 1_000_000
    ids = IdSet()
    for start in range(1, count + 1, 800):
        ids.update(list(range(start, min(start + 800, count + 1))))
    assert len(ids) == count
    assert ids.nbytes() < 9 * count  # the array's buffer, over-allocation included
