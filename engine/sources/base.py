"""What the engine needs from a practice database, whatever kind it is.

A source is used from one worker thread only (database connections are not
thread-safe); every method runs its own short read transaction and never holds one
open across calls, so people writing to the database are never blocked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from engine.contract.document import Document


@dataclass(frozen=True)
class Page:
    """One primary-key page of contacts."""

    documents: list[Document]
    #: Highest ContactID the page covered; None when no contact is left after the cursor.
    last_id: int | None


@dataclass(frozen=True)
class UploadPage:
    """One primary-key page of contacts for the upload: the wire bytes of each contact
    whose values were built valid (``engine.sources.mapping.wire_assembly``), the
    documents of the rest, which the uploader checks in full."""

    #: (id, bytes), ascending; each bytes object exactly its size (no spare buffer).
    encoded: list[tuple[int, bytes]]
    documents: list[Document]
    #: As :attr:`Page.last_id`.
    last_id: int | None


@dataclass(frozen=True)
class Employee:
    employee_id: int
    code: str | None
    first_name: str | None
    last_name: str | None
    email: str | None
    is_active: bool


class Source(Protocol):
    def close(self) -> None: ...

    def check_schema(self) -> tuple[str, ...]:
        """Raise SchemaError naming every missing required table or column; return the
        optional columns the database lacks (``Table.Column``), read as empty from now on."""

    def change_token(self) -> int | None:
        """A value that changes whenever another connection commits a write, read without
        touching any table; None when the database has no such thing. Lets an idle agent
        skip its whole cycle with one cheap call (SQLite's ``PRAGMA data_version``)."""

    def watermark(self) -> int:
        """Highest row version v such that every write with a version <= v is committed.

        Bounded by the lowest version still in flight (MIN_ACTIVE_ROWVERSION() - 1 on
        SQL Server), so a slow transaction is never skipped by the next change scan.
        """

    def read_page(self, after_id: int, limit: int) -> Page:
        """Documents of up to ``limit`` contacts with ContactID > after_id, ascending."""

    def read_upload_page(self, after_id: int, limit: int) -> UploadPage:
        """:meth:`read_page`'s contacts, ready for the upload (a first migration's pages)."""

    def changed_ids(
        self, since: int, after_id: int, limit: int, upper: int | None = None
    ) -> list[int]:
        """Ascending ContactIDs > after_id whose row or any child row has since < RowVer
        <= upper (the watermark a pass stops at; None: no bound)."""

    def read_documents(self, ids: Sequence[int]) -> list[Document]:
        """Current documents of these contacts, ascending by id; ids no longer there are
        left out."""

    def contact_count(self) -> int: ...

    def contact_ids(self) -> list[int]:
        """Every ContactID, ascending."""

    def lookup_digest(self) -> str:
        """A digest of the small lookup tables documents embed (employees, extra-field
        definitions): when it changes, documents changed without their RowVer moving."""

    def employees(self) -> list[Employee]: ...

    def practice_settings(self) -> dict[str, str]: ...

    def write_practice_settings(self, values: Mapping[str, str]) -> None:
        """Upsert PracticeSetting rows in one short write transaction."""


class AgentLock(Protocol):
    """The single-agent lock held for as long as an agent runs (not a transaction)."""

    def try_acquire(self) -> bool: ...

    def is_held(self) -> bool: ...

    def release(self) -> None: ...
