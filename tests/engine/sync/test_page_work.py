"""A page's items as the uploader cuts them: the C-level shortcuts give what the plain
per-item rules give (sizes, where a batch ends, upserts and deletes)."""

from __future__ import annotations

from hypothesis import given, settings, strategies as st

from engine.sync.checkpoint import Checkpoint
from engine.sync.page_work import Item, byte_offsets, fitting, item_size, prepare
from engine.sync.uploader import Batch

#: A body of some length, an empty one (no document is, but it must not confuse the
#: shortcuts), or a delete.
bodies = st.one_of(st.binary(min_size=1, max_size=40), st.just(b""), st.none())
item_lists = st.lists(st.tuples(st.integers(1, 10**6), bodies), max_size=30).map(
    lambda pairs: [Item(contact_id, body) for contact_id, body in pairs]
)


@settings(max_examples=300, deadline=None)
@given(item_lists)
def test_byte_offsets_sum_the_item_sizes(items: list[Item]) -> None:
    expected = [0]
    for item in items:
        expected.append(expected[-1] + item_size(item))
    assert byte_offsets(items) == expected


@settings(max_examples=500, deadline=None)
@given(item_lists.filter(bool), st.data())
def test_fitting_ends_where_the_next_item_would_overflow(
    items: list[Item], data: st.DataObject
) -> None:
    offsets = byte_offsets(items)
    start = data.draw(st.integers(0, len(items) - 1))
    room = data.draw(st.integers(-50, offsets[-1] + 5))
    alone = data.draw(st.booleans())
    end = start  # the plain rule: one item at a time while the bytes fit
    while end < len(items) and offsets[end + 1] - offsets[start] <= room:
        end += 1
    if alone and end == start:
        end = start + 1
    assert fitting(offsets, start, room, alone) == end


@settings(max_examples=200, deadline=None)
@given(item_lists)
def test_a_batch_splits_its_upserts_and_deletes_as_ever(items: list[Item]) -> None:
    batch = Batch(items, Checkpoint(), Checkpoint(), None)
    assert batch.upserts == [item for item in items if item.body is not None]
    assert batch.deletes == [item.contact_id for item in items if item.body is None]


def test_prepared_items_are_items_with_their_offsets() -> None:
    work = prepare([], [4], 9, [(2, b'{"a":1}'), (3, b"{}")])
    assert work.items == [Item(2, b'{"a":1}'), Item(3, b"{}"), Item(4, None)]
    assert all(type(item) is Item for item in work.items)
    assert [item.body for item in work.items] == [b'{"a":1}', b"{}", None]
    assert work.cleared == [2, 3] and work.offsets == [0, 8, 11, 23]
