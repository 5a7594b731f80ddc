"""Searching the contacts page: what a contact is found by, and how a query is read.

Each contact keeps one lower-case search text (a ``search`` column) with a line for every
way a person may type it: "first last", "last first", "first middle last", the main name,
code, email, and phone and mobile as bare digits (kept short: the page's index holds it).
A query is lower-cased, commas become spaces and runs of spaces one, so "Green, Ethan",
"Green Ethan" and "ethan  green" all find Ethan Green; a query of only phone characters
is also looked up as bare digits, so "0477 442 836" and "0477442836" find the same
number. Queries never span two lines.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

_SPACES: Final = re.compile(r"[\s,]+")
_PHONE_PUNCTUATION: Final = re.compile(r"[\s().+\-/]+")
_NOT_DIGITS: Final = re.compile(r"[^0-9]+")


def normal_text(text: str) -> str:
    """A query's or a search line's text as compared: commas and runs of whitespace one
    space, no space at either end, lower case."""
    return _SPACES.sub(" ", text).strip().lower()


#: The document's keys the search text is made of, in :func:`search_text`'s order.
SEARCH_KEYS: Final = (
    "first_name",
    "middle_name",
    "last_name",
    "main_name",
    "code",
    "email",
    "phone",
    "mobile",
)


def _joined(value: object) -> str:
    """A text field's words as :func:`normal_text` separates them (``str.split`` and the
    pattern's ``\\s`` are the same Unicode whitespace), one space apart, not yet
    lower-cased; "" for no text."""
    return " ".join(value.replace(",", " ").split()) if isinstance(value, str) else ""


#: Every byte but the ASCII digits: what ``_NOT_DIGITS`` removes from ASCII text.
_NOT_DIGIT_BYTES: Final = bytes(byte for byte in range(256) if not 0x30 <= byte <= 0x39)


def _digits(value: object) -> str:
    """The ASCII digits of a text field, in order (two per contact: the bytes' own
    translate for ASCII text, a third of the pattern's cost)."""
    if not isinstance(value, str):
        return ""
    if value.isascii():
        return value.encode("ascii").translate(None, _NOT_DIGIT_BYTES).decode("ascii")
    return _NOT_DIGITS.sub("", value)


def search_text(values: Sequence[object]) -> str:
    """The search text of a (valid) contact from its :data:`SEARCH_KEYS` values, in order.

    Built from each field's words once (this runs for every contact the service
    stores); equal to normalising each line with :func:`normal_text`."""
    first_name, middle_name, last_name, main_name, code, email, phone, mobile = values
    first, last = _joined(first_name), _joined(last_name)
    both = first and last  # the words of both, in either order; else the one there is
    lines = [
        f"{first} {last}" if both else first or last,
        f"{last} {first}" if both else first or last,
        # a middle name of only commas still makes this line (the same as the first)
        " ".join(filter(None, (first, _joined(middle_name), last)))
        if isinstance(middle_name, str) and middle_name.strip()
        else "",
        _joined(main_name),
        _joined(code),
        _joined(email),
        _digits(phone),
        _digits(mobile),
    ]
    # lower() per line or of the joined lines is the same: a line break ends a word for
    # the one context-dependent rule (Greek final sigma)
    text = "\n".join(filter(None, lines)).lower()
    if text.isascii():
        return text
    return text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates: storable


def document_search_text(doc: Mapping[str, Any]) -> str:
    """:func:`search_text` of a document as JSON decodes it."""
    return search_text([doc.get(key) for key in SEARCH_KEYS])


@dataclass(frozen=True)
class SearchQuery:
    """A query as typed (``text``, for the page) and as searched (``terms``)."""

    text: str
    terms: tuple[str, ...]

    @classmethod
    def parse(cls, text: str) -> SearchQuery:
        normal = normal_text(text)
        if not normal:
            return cls(text, ())
        terms = [normal]
        bare = _PHONE_PUNCTUATION.sub("", normal)
        if bare != normal and bare.isascii() and bare.isdigit():
            terms.append(bare)
        return cls(text, tuple(terms))

    def sql(self) -> tuple[str, list[str]]:
        """A WHERE clause and its parameters; empty when everything matches."""
        if not self.terms:
            return "", []
        clause = " OR ".join("instr(search, ?) > 0" for _ in self.terms)
        return f"({clause})", list(self.terms)


@dataclass(frozen=True)
class PageRow:
    id: int
    name: str | None
    code: str | None
    type: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class PageResult:
    rows: list[PageRow]
    #: Contacts matching the query (all of them without one).
    matched: int
    total: int


#: The page's name order over contacts (built and kept off first migrations by
#: sandbox.name_index; sandbox.storage_schema says why it is narrow).
NAME_INDEX: Final = "contacts_in_name_order"
#: A search with up to this many matches sorts them; with more, the page walks the name
#: index (see :func:`read_page`).
SORTED_MATCHES_AT_MOST: Final = 2_000
#: Walking the name index, each entry's search text is looked up by id (~4 µs) while about
#: this many entries lead to the page; deeper, the matches are gathered first (one pass).
LOOKED_UP_AT_MOST: Final = 10_000
_SHOWN: Final = "SELECT id, name, code, type, email, phone FROM contacts"
_WALK: Final = f"SELECT id FROM contacts INDEXED BY {NAME_INDEX}"
_BY_NAME: Final = " ORDER BY name COLLATE NOCASE, id"
_PAGE: Final = " LIMIT ? OFFSET ?"


def read_page(conn: sqlite3.Connection, query: SearchQuery, page: int, size: int) -> PageResult:
    """One page of the HTML page's list, by name: the contacts matching ``query`` (all
    when it is empty), the ``page``-th ``size`` of them, and the counts; ``conn`` in a
    read transaction.

    A search with up to :data:`SORTED_MATCHES_AT_MOST` matches reads them in one pass
    over ``contact_search`` and sorts them by name; one with more is counted, then the
    name index is walked until the page is full (sorting 100,000 names to show 50 would
    cost more), each entry's search text looked up by id near the top, checked against
    the matching ids gathered in one pass deeper in."""
    where, params = query.sql()
    offset = (page - 1) * size
    wanted: tuple[object, ...] = (size, offset)
    total: int = conn.execute("SELECT count(*) FROM contacts").fetchone()[0]
    args = wanted
    if not where:
        matched = total
        sql = f"{_SHOWN} WHERE id IN ({_WALK}{_BY_NAME}{_PAGE}){_BY_NAME}"
    else:
        found = conn.execute(
            f"SELECT id FROM contact_search WHERE {where} LIMIT ?",
            (*params, SORTED_MATCHES_AT_MOST + 1),
        ).fetchall()
        if len(found) <= SORTED_MATCHES_AT_MOST:
            matched = len(found)
            marks = ", ".join("?" * matched)
            sql = f"{_SHOWN} WHERE id IN ({marks}){_BY_NAME}{_PAGE}"
            args = (*(row[0] for row in found), *wanted)
        else:
            count = f"SELECT count(*) FROM contact_search WHERE {where}"
            matched = conn.execute(count, params).fetchone()[0]
            if (offset + size) * total <= LOOKED_UP_AT_MOST * matched:  # near the top
                match = f"EXISTS (SELECT 1 FROM contact_search WHERE id = contacts.id AND {where})"
            else:  # deep in: the matching ids gathered in one pass, then looked up in that
                match = f"id IN (SELECT id FROM contact_search WHERE {where})"
            walk = f"{_WALK} WHERE {match}{_BY_NAME}{_PAGE}"
            sql, args = f"{_SHOWN} WHERE id IN ({walk}){_BY_NAME}", (*params, *wanted)
    rows = conn.execute(sql, args).fetchall() if size and offset < matched else []
    return PageResult([PageRow(*row) for row in rows], matched, total)
