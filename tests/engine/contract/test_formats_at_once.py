"""The checks a batch makes after decoding (all its ids, dates and timestamps at once) give
every value the verdict of its pattern as msgspec runs it (``re.search`` of the anchored
pattern), on generated and hostile text: other scripts' digits, full-width characters,
leap days, 24:00, offsets, a final line feed (Python's ``$`` matches before one) or one
inside; and a relaxed batch decodes exactly what the typed batch decodes."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st

from engine.contract.batch import BatchRequest
from engine.contract.document import may_hold_control_characters, relaxed_struct
from engine.contract.formats import (
    DATE_OR_TIMESTAMP,
    DATE_OR_TIMESTAMP_LINES,
    ID,
    TIMESTAMP,
    TIMESTAMP_LINES,
    all_ids,
    all_match,
    schema_pattern,
)
from tests.sandbox.factories import contact

#: The patterns as the typed Structs give them to msgspec, which searches with them.
_ID_SEARCH = re.compile(schema_pattern(ID)).search
_DATE_SEARCH = re.compile(schema_pattern(DATE_OR_TIMESTAMP)).search
_TIMESTAMP_SEARCH = re.compile(schema_pattern(TIMESTAMP)).search

#: Characters near the rules' edges: digits of other scripts (Arabic-Indic, Devanagari,
#: full-width, mathematical bold), superscripts, look-alike signs and separators.
_HOSTILE = "0123456789١٣٩०९０５９𝟎𝟗²³¹½-:T.Z+tz ,/_\u2212\u2010\uff0d\uff1a\n\r\t\x00é"


def _mutated(text: str, edits: list[tuple[int, int, str]]) -> str:
    """``text`` with each edit (what, where, which character) applied: replace, insert,
    delete, or a line feed at the end."""
    for what, where, character in edits:
        at = where % (len(text) + 1)
        if what == 0 and at < len(text):
            text = text[:at] + character + text[at + 1 :]
        elif what == 1:
            text = text[:at] + character + text[at:]
        elif what == 2:
            text = text[:at] + text[at + 1 :]
        else:
            text += "\n"
    return text


_EDITS = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 40), st.sampled_from(_HOSTILE)), max_size=3
)


def _near(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Valid values, and the same a few edits away."""
    return st.builds(_mutated, valid, _EDITS)


_IDS = st.one_of(
    st.integers(0, 10**19).map(str),
    st.integers(1, 10**18 - 1).map(str),
    _near(st.integers(1, 10**18 - 1).map(str)),
    st.text(st.sampled_from(_HOSTILE), max_size=20),
    st.sampled_from(["", "0", "01", "1\n", "\n1", "1\n2", "１", "١", "²", "999999999999999999"]),
)

_OFFSETS = st.one_of(
    st.none(),
    st.just(UTC),
    st.integers(-24 * 60 + 1, 24 * 60 - 1).map(lambda m: timezone(timedelta(minutes=m))),
)


def _timestamp(moment: datetime, precision: str) -> str:
    return moment.isoformat(timespec=precision)


_TIMESTAMPS_VALID = st.builds(
    _timestamp,
    st.datetimes(timezones=_OFFSETS),
    st.sampled_from(["seconds", "milliseconds", "microseconds", "auto"]),
).map(lambda text: text.replace("+00:00", "Z") if text.endswith("+00:00") else text)
_DATES_VALID = st.dates().map(date.isoformat)
_DAYS = st.builds(
    "{:04d}-{:02d}-{:02d}".format, st.integers(0, 9999), st.integers(0, 13), st.integers(0, 32)
)
_CLOCKS = st.builds(
    "T{:02d}:{:02d}:{:02d}".format, st.integers(0, 25), st.integers(0, 61), st.integers(0, 61)
)
_EDGES = st.sampled_from(
    [
        "2024-02-29", "2023-02-29", "2000-02-29", "1900-02-29", "0000-01-01", "0001-01-01",
        "9999-12-31", "2020-04-31", "2020-01-01T24:00:00", "2020-01-01T23:59:60",
        "2020-01-01T00:00:00Z", "2020-01-01T00:00:00+24:00", "2020-01-01T00:00:00-23:59",
        "2020-01-01T00:00:00.1234567", "2020-01-01T00:00:00.", "2020-01-01T00:00:00z",
        "2020-01-01t00:00:00", "2020-01-01 00:00:00", "2020-01-01T00:00:00\n",
        "2020-01-01\n", "2020-01-01\n2020-01-01", "２０２０-01-01", "2020-01-01T00:00:00+10",
    ]
)  # fmt: skip
_DATELIKE = st.one_of(
    _near(_TIMESTAMPS_VALID),
    _near(_DATES_VALID),
    st.builds(str.__add__, _DAYS, st.one_of(st.just(""), _CLOCKS)),
    _EDGES,
    st.text(st.sampled_from(_HOSTILE), max_size=30),
)


def _ids_agree(values: list[str]) -> None:
    assert all_ids(values) == all(_ID_SEARCH(value) is not None for value in values)


def _timestamps_agree(values: list[str]) -> None:
    one_by_one = all(_TIMESTAMP_SEARCH(value) is not None for value in values)
    assert all_match(TIMESTAMP_LINES, values) == one_by_one


def _dates_agree(values: list[str]) -> None:
    one_by_one = all(_DATE_SEARCH(value) is not None for value in values)
    assert all_match(DATE_OR_TIMESTAMP_LINES, values) == one_by_one


@settings(max_examples=600)
@given(st.lists(_IDS, max_size=6))
@example([])
@example(["1", "0"])
@example(["1\n0"])
@example(["1", ""])
def test_ids_at_once_are_ids_one_by_one(values: list[str]) -> None:
    _ids_agree(values)


@settings(max_examples=600)
@given(st.lists(_DATELIKE, max_size=6))
@example(["2020-01-01T00:00:00\n2020-01-01T00:00:00"])
@example(["2020-01-01T00:00:00", "\n"])
@example(["2020-01-01T00:00:00", ""])
def test_timestamps_at_once_are_timestamps_one_by_one(values: list[str]) -> None:
    _timestamps_agree(values)


@settings(max_examples=600)
@given(st.lists(_DATELIKE, max_size=6))
@example(["2020-01-01\n2020-01-01"])
@example(["2024-02-29", "2023-02-29"])
def test_dates_at_once_are_dates_one_by_one(values: list[str]) -> None:
    _dates_agree(values)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("agree", "values"),
    [(_ids_agree, _IDS), (_timestamps_agree, _DATELIKE), (_dates_agree, _DATELIKE)],
)
def test_many_more_values_agree(
    agree: Callable[[list[str]], None], values: st.SearchStrategy[str]
) -> None:
    settings(max_examples=10_000, deadline=None)(given(st.lists(values, max_size=8))(agree))()


@pytest.mark.parametrize(("values"), [[str(i) for i in range(1, 2001)], ["2020-01-01"] * 2000])
def test_one_bad_value_among_many_is_found(values: list[str]) -> None:
    check = all_ids if values[0] == "1" else lambda v: all_match(DATE_OR_TIMESTAMP_LINES, v)
    assert check(values)
    for bad in (0, 1000, 1999):
        assert not check([*values[:bad], "x", *values[bad + 1 :]])


# -- a relaxed batch decodes what the typed batch decodes ----------------------------------

_QUICK = msgspec.json.Decoder(relaxed_struct(BatchRequest))
_FULL = msgspec.json.Decoder(BatchRequest)
_PATTERNED = ("id", "date_of_birth", "created_at", "modified_at")
_VALUES = st.one_of(st.none(), _IDS, _DATELIKE, st.integers(), st.booleans())


def _relationship(related_id: Any, start: Any, end: Any) -> dict[str, Any]:
    return {"kind": "is spouse of", "related_id": related_id, "start": start, "end": end}


_CONTACTS = st.builds(
    lambda number, changes, relationships: contact(
        number, **dict(changes), relationships=relationships
    ),
    st.integers(1, 10**6),
    st.lists(st.tuples(st.sampled_from(_PATTERNED), _VALUES), max_size=2),
    st.lists(
        st.builds(
            _relationship,
            st.one_of(_IDS, st.integers(1, 10**6).map(str)),
            st.one_of(st.none(), _DATELIKE, _DATES_VALID),
            st.one_of(st.none(), _DATELIKE),
        ),
        max_size=2,
    ),
)
_BATCHES = st.fixed_dictionaries(
    {
        "epoch": st.just(1),
        "base_checkpoint": st.none(),
        "checkpoint": st.just("c"),
        "upserts": st.lists(_CONTACTS, max_size=4),
        "deletes": st.lists(st.one_of(_IDS, st.integers(1, 10**6).map(str)), max_size=3),
    }
)


def _decoded(decoder: msgspec.json.Decoder[Any], raw: bytes) -> object:
    try:
        return msgspec.to_builtins(decoder.decode(raw))
    except msgspec.ValidationError:
        return "refused"


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_BATCHES)
def test_a_relaxed_batch_decodes_what_the_typed_batch_decodes(batch: dict[str, Any]) -> None:
    raw = json.dumps(batch, ensure_ascii=False).encode("utf-8", "surrogatepass")
    if may_hold_control_characters(raw):  # the service decodes those with the typed batch
        return
    assert _decoded(_QUICK, raw) == _decoded(_FULL, raw)


def test_a_relaxed_batch_refuses_each_kind_of_bad_value() -> None:
    """Each value checked after decoding, wherever it is, and only those."""
    good = {"epoch": 1, "base_checkpoint": None, "checkpoint": "c", "deletes": ["5"]}
    docs = [contact(1), contact(2, date_of_birth="1990-05-17T10:30:00")]
    body = {**good, "upserts": docs}
    assert _QUICK.decode(json.dumps(body).encode()).deletes == ["5"]
    bad: list[tuple[int, str, Any]] = [
        (1, "id", "02"),
        (0, "created_at", "2020-01-01T24:00:00"),
        (1, "modified_at", "2020-01-01"),
        (0, "date_of_birth", "2023-02-29"),
    ]
    for index, key, value in bad:
        changed = [dict(doc) for doc in docs]
        changed[index][key] = value
        with pytest.raises(msgspec.ValidationError):
            _QUICK.decode(json.dumps({**good, "upserts": changed}).encode())
    for key, value in (("related_id", "0"), ("start", "2020-13-01"), ("end", "x")):
        changed = [dict(doc) for doc in docs]
        changed[1]["relationships"] = [{**docs[1]["relationships"][0], key: value}]
        with pytest.raises(msgspec.ValidationError):
            _QUICK.decode(json.dumps({**good, "upserts": changed}).encode())
    with pytest.raises(msgspec.ValidationError):
        _QUICK.decode(json.dumps({**good, "upserts": docs, "deletes": ["1\n"]}).encode())
