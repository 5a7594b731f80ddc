"""The contacts page's storage in process: the search text kept apart from the contacts
(``contact_search``), the page's three ways to one answer, and older databases brought up
to that layout."""

from __future__ import annotations

import random
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, strategies as st

from engine.contract.document import typed
from sandbox.batch import contact_row
from sandbox.search import SEARCH_KEYS, SearchQuery, document_search_text, normal_text
from sandbox.storage import Store
from tests.sandbox.factories import contact, person, send_batch


def _expected(docs: dict[int, dict[str, Any]], query: SearchQuery) -> list[int]:
    """What the page must list, computed apart from SQLite: matches, by name then id."""
    rows = [contact_row(typed(doc)) for doc in docs.values()]
    found = [
        row
        for row in rows
        if not query.terms
        or any(term in document_search_text(docs[row.id]) for term in query.terms)
    ]
    # SQLite's NOCASE folds ASCII letters only
    fold = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
    found.sort(key=lambda row: ((row.name or "").translate(fold), row.id))
    return [row.id for row in found]


@pytest.mark.parametrize(("sorted_at_most", "looked_up_at_most"), [(0, 0), (0, 10**9), (2_000, 0)])
def test_every_way_to_a_page_lists_the_same_contacts(
    tmp_path: Path, sorted_at_most: int, looked_up_at_most: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Searches sort few matches and walk the name index for many (looking each entry up,
    or in the matches gathered first); each way must list what a plain filter and sort
    would, after upserts, changes and deletes alike."""
    monkeypatch.setattr("sandbox.search.SORTED_MATCHES_AT_MOST", sorted_at_most)
    monkeypatch.setattr("sandbox.search.LOOKED_UP_AT_MOST", looked_up_at_most)
    rng = random.Random(5)
    store = Store(tmp_path / "sandbox.db")
    try:
        store.create_practice("p", "Practice")
        store.activate("v", "v", "me", "pc")
        epoch = store.lease("agent", "pc")
        docs = {i: person(i, rng) for i in range(1, 301)}
        send_batch(store, epoch, 0, list(docs.values()), [])
        changed = {i: person(i, rng) for i in rng.sample(sorted(docs), 60)}
        gone = rng.sample(sorted(set(docs) - set(changed)), 40)
        send_batch(store, epoch, 1, list(changed.values()), gone)
        docs.update(changed)
        for contact_id in gone:
            del docs[contact_id]
        for text in ("", "green", "Green, Ethan", "ethan green", "0477442836", "zoë", "ἀχιλ", "x"):
            query = SearchQuery.parse(text)
            expected = _expected(docs, query)
            listed: list[int] = []
            for page in range(1, 9):
                result = store.page_rows(query, page, 40)
                assert (result.matched, result.total) == (len(expected), len(docs)), text
                listed += [row.id for row in result.rows]
            assert listed == expected, text
    finally:
        store.close()


@pytest.mark.parametrize("search_column", [True, False])
def test_an_older_database_gets_its_search_table(tmp_path: Path, search_column: bool) -> None:
    """Databases from before the search text moved out of ``contacts`` (with its column
    and the wide name index, or from before either existed) are found by the page alike."""
    path = tmp_path / "sandbox.db"
    docs = [contact(1, first_name="Ethan", last_name="Green"), contact(2, last_name="Brown")]
    with sqlite3.connect(path) as db:
        extra = ", search TEXT" if search_column else ""
        db.execute(
            "CREATE TABLE contacts (id INTEGER PRIMARY KEY, doc TEXT NOT NULL,"
            f" hash TEXT NOT NULL, name TEXT, code TEXT, type TEXT, email TEXT, phone TEXT{extra})"
        )
        for doc in docs:
            row = contact_row(typed(doc))
            values = (*row, document_search_text(doc)) if search_column else tuple(row)
            db.execute(f"INSERT INTO contacts VALUES ({', '.join('?' * len(values))})", values)
        if search_column:
            db.execute("CREATE INDEX contacts_by_name ON contacts (name, id, search)")
    store = Store(path)
    try:
        found = store.page_rows(SearchQuery.parse("green ethan"), 1, 50)
        assert [row.id for row in found.rows] == [1] and found.total == 2
        assert [row.id for row in store.page_rows(SearchQuery.parse(""), 1, 50).rows] == [2, 1]
    finally:
        store.close()
    with sqlite3.connect(path) as db:
        columns = {row[1] for row in db.execute("PRAGMA table_info(contacts)")}
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_schema")}
        stored = dict(db.execute("SELECT id, search FROM contact_search"))
    assert "search" not in columns and "contacts_by_name" not in indexes
    assert stored == {doc_id: document_search_text(doc) for doc_id, doc in enumerate(docs, 1)}


@pytest.mark.parametrize(
    "phone", ["(08) 5641 1680", "+61 2 5550 0000", "".join(map(chr, range(128))), "٣4\u00a05", ""]
)
def test_a_phone_number_is_searched_by_its_ascii_digits(phone: str) -> None:
    """Both ways to a phone's digits (ASCII text, anything else) keep exactly 0-9."""
    text = document_search_text({"phone": phone, "mobile": phone + "é"})
    assert text.split("\n") == [re.sub("[^0-9]", "", phone)] * 2 if phone else text == ""


_FIELD = st.one_of(
    st.none(), st.text(alphabet=st.sampled_from(list(" ,\t\n\u00a0\u2003aZß\u0130Σς\ud8000٣-")))
)


@given(st.fixed_dictionaries({key: _FIELD for key in SEARCH_KEYS}))
def test_the_search_text_is_its_lines_each_normalised(doc: dict[str, Any]) -> None:
    """The search text, built from each field's words once, is what its definition says:
    each line normalised as a query is (commas and runs of whitespace one space, lower
    case), the phones as bare ASCII digits, empty lines left out."""
    first, middle, last, main, code, email, phone, mobile = (doc[k] or "" for k in SEARCH_KEYS)
    lines = [
        f"{first} {last}",
        f"{last} {first}",
        f"{first} {middle} {last}" if middle.strip() else "",
        main,
        code,
        email,
    ]
    digits = [re.sub("[^0-9]", "", phone), re.sub("[^0-9]", "", mobile)]
    text = "\n".join(filter(None, [*map(normal_text, lines), *digits]))
    assert document_search_text(doc) == text.encode("utf-8", "replace").decode("utf-8")
