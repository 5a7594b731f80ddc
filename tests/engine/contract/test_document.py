"""The shared contact types: one spelling per id, real dates and timestamps, no control
characters in text; one refusal named by its path; the engine and the service agree."""

from __future__ import annotations

import copy
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.contract.canonical import CANONICAL_ENCODER, canonical_json_reference
from engine.contract.document import (
    CONTACT_KEYS,
    Address,
    Contact,
    Employee,
    InvalidDocument,
    Relationship,
    document_problems,
    may_hold_control_characters,
    wire_document,
)
from engine.contract.formats import CONTROL_RE, DATE_RE, TIMESTAMP_RE, is_id
from engine.contract.problems import problem_words
from sandbox.batch import prepare_batch
from sandbox.errors import ApiError
from tests.sandbox.factories import contact


def test_a_valid_document_has_no_problems() -> None:
    assert document_problems(contact(1)) == []


@pytest.mark.parametrize("spelling", ["0", "01", "000000000000000001", " 1", "1 ", "+1", "١"])
def test_an_id_has_one_spelling(spelling: str) -> None:
    problems = document_problems(contact(1, id=spelling))
    assert len(problems) == 1 and problems[0].startswith(f"id {spelling!r} is not a contact id")
    assert not is_id(spelling)


def test_related_ids_have_one_spelling_too() -> None:
    doc = contact(1)
    doc["relationships"][0]["related_id"] = "02"
    assert document_problems(doc) == [
        "relationships[0].related_id '02' is not a contact id: a string of 1 to 18 digits "
        "without leading zeros (1 or more)"
    ]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("date_of_birth", ")", "date_of_birth must be a date"),
        ("date_of_birth", "2023-02-29", "date_of_birth must be a date"),
        ("date_of_birth", "1990-13-01", "date_of_birth must be a date"),
        ("created_at", "x", "created_at must be a timestamp"),
        ("created_at", "2020-01-01", "created_at must be a timestamp"),
        ("modified_at", "2020-01-01T24:00:00", "modified_at must be a timestamp"),
        ("notes", "a\x00b", "notes holds a control character (U+0000)"),
        ("first_name", "Al\x1bex", "first_name holds a control character (U+001B)"),
    ],
)
def test_field_contents_are_checked(key: str, value: str, expected: str) -> None:
    problems = document_problems(contact(1, **{key: value}))
    assert len(problems) == 1 and problems[0].startswith(expected), problems


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("date_of_birth", "2024-02-29"),
        ("date_of_birth", "1990-05-17T10:30:00"),  # a desktop date column holding a time
        ("created_at", "2020-01-01T00:00:00"),
        ("created_at", "2020-01-01T09:15:30.123456+10:00"),
        ("modified_at", "2020-01-01T09:15:30Z"),
        ("notes", "line one\r\nline two\tand a tab"),
    ],
)
def test_what_the_agent_writes_is_accepted(key: str, value: str) -> None:
    assert document_problems(contact(1, **{key: value})) == []


def test_the_date_expression_is_the_calendar() -> None:
    """Every day of four centuries is a date, and nothing else of the same shape is."""
    day, end = date(1896, 1, 1), date(2305, 1, 1)
    while day < end:
        assert DATE_RE.fullmatch(day.isoformat()), day
        day += timedelta(days=1)
    for year in (1900, 2000, 2023, 2024, 2100, 1, 9999):
        for month in range(0, 14):
            for day_number in range(0, 33):
                text = f"{year:04d}-{month:02d}-{day_number:02d}"
                try:
                    date.fromisoformat(text)
                    real = True
                except ValueError:
                    real = False
                assert bool(DATE_RE.fullmatch(text)) == real, text
    assert not DATE_RE.fullmatch("0000-01-01")


@given(st.datetimes(timezones=st.none() | st.just(UTC) | st.timezones()))
def test_python_timestamps_are_timestamps(moment: datetime) -> None:
    text = moment.isoformat()
    offset = moment.utcoffset()
    if offset is not None and offset.seconds % 60:  # second-precise offsets: not ISO 8601
        return
    assert TIMESTAMP_RE.fullmatch(text), text


# -- one refusal, named precisely ------------------------------------------------------


def test_the_problem_is_named_by_its_path() -> None:
    doc = contact(1)
    doc["addresses"][0]["postcode"] = 2000
    assert document_problems(doc) == ["addresses[0].postcode must be text or null"]
    doc = contact(1, partner={"code": "JS"})
    assert document_problems(doc) == ["partner is missing name"]
    assert document_problems(contact(1, partner="JS")) == ["partner must be an object or null"]
    assert document_problems(contact(1, addresses=None)) == ["addresses must be a list"]
    assert document_problems(contact(1, archived="yes")) == ["archived must be true, false or null"]
    assert document_problems("text") == ["contact must be an object"]


def test_missing_and_unknown_keys_are_all_named() -> None:
    doc = contact(1)
    del doc["email"], doc["phone"]
    assert document_problems(doc) == ["contact is missing phone, email"]
    many = contact(1, **{f"unknown_{i:03d}": 1 for i in range(25)})
    (problem,) = document_problems(many)
    assert problem.startswith("contact has unknown keys unknown_000, unknown_001")
    assert problem.endswith("unknown_019 and 5 more")


@pytest.mark.parametrize(
    ("key", "value"),
    [("id", "1\n"), ("date_of_birth", "2020-01-01\n"), ("created_at", "2020-01-01T00:00:00\n")],
)
def test_a_final_line_feed_is_not_part_of_a_pattern(key: str, value: str) -> None:
    """Python's ``$`` also matches before a final line feed (formats.END keeps it out)."""
    assert document_problems(contact(1, **{key: value}))
    assert document_problems(contact(1, notes="ends with a line\n")) == []


# -- decoding JSON and converting Python objects agree ----------------------------------

_TEXTS = st.one_of(
    st.none(),
    st.text(max_size=8),
    st.sampled_from(["2024-02-29", "2023-02-29", "2020-01-01T10:00:00", "x", "\x00", "\t", "1"]),
    st.integers(),
    st.booleans(),
)


def _object(struct: type[msgspec.Struct]) -> st.SearchStrategy[dict[str, Any]]:
    values = {field.name: _TEXTS for field in msgspec.structs.fields(struct)}
    return st.fixed_dictionaries({}, optional=values) | st.fixed_dictionaries(values)


_VALUES = st.one_of(
    _TEXTS,
    st.sampled_from(["person", "organisation", "robot", "01"]),
    st.lists(st.one_of(_object(Address), _object(Relationship), _TEXTS), max_size=2),
    _object(Employee),
)


_ENVELOPE: dict[str, Any] = {"epoch": 1, "base_checkpoint": None, "checkpoint": "c", "deletes": []}


def _mutated(doc: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(doc)
    changed[key] = value
    return changed


_DOCUMENTS = st.one_of(
    st.builds(_mutated, st.integers(1, 10**6).map(contact), st.sampled_from(CONTACT_KEYS), _VALUES),
    st.integers(1, 10**6).map(contact),
    _object(Contact),
)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(_DOCUMENTS)
def test_the_service_decoding_and_the_engine_check_agree(doc: dict[str, Any]) -> None:
    """The engine checks a document as Python objects; the service decodes its JSON: one
    verdict, and the same words."""
    raw = json.dumps(doc).encode()
    try:
        msgspec.json.decode(raw, type=Contact)
        decoded = None
    except msgspec.ValidationError as error:
        decoded = problem_words(error, json.loads(raw), Contact)
    problems = document_problems(doc)
    assert problems == ([decoded] if decoded else [])
    if not problems:
        assert wire_document(doc) == canonical_json_reference(doc)
    else:
        with pytest.raises(InvalidDocument) as refused:
            wire_document(doc)  # the quick check: the same verdict, the same words
        assert [refused.value.problem] == problems
    body = json.dumps({**_ENVELOPE, "upserts": [doc]}).encode()
    try:
        prepare_batch(body)
        online: list[str] = []
    except ApiError as error:
        online = error.extra["problems"][0]["problems"]
    assert online == problems


# Lone surrogates (Cs) can't be written as UTF-8 at all: the encoder refuses them and
# wire_document falls back to the reference before the quick check is ever asked.
@given(st.text(st.characters(exclude_categories=("Cs",))))
def test_json_without_control_escapes_holds_no_control_character(text: str) -> None:
    for encoded in (CANONICAL_ENCODER.encode(text), json.dumps(text).encode()):
        if CONTROL_RE.search(text):
            assert may_hold_control_characters(encoded)
