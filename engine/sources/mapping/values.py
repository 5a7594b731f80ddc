"""Stored values → document values, for whatever type a driver hands back.

The general converters: assembly (``assembly.py``) handles the common case inline and
calls these only for anything unusual, so an odd value is carried, never lost.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

from engine.contract.document import ContactType
from engine.sources.base import Employee


def as_text(value: object) -> Any:
    """A stored value as document text; str (the usual case) is carried exactly.

    Bytes decode with ``surrogateescape`` so nothing is lost and JSON encoding can't
    fail; numbers (a text column of another type in a mapped schema) become their text.
    """
    if value is None or value.__class__ is str:
        return value
    if isinstance(value, str):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "surrogateescape")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def as_flag(value: object) -> Any:
    """bit → bool; anything that isn't a number is kept so validation can reject it."""
    if value is None:
        return None
    if isinstance(value, int | float):
        return value != 0
    if isinstance(value, Decimal):
        return value != 0
    return as_text(value)


def as_date(value: object) -> Any:
    """ISO ``YYYY-MM-DD`` for a valid date; any other stored text exactly as it is."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    if value.__class__ is str:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return as_text(value)


def as_datetime(value: object) -> Any:
    """ISO 8601 with a 'T' for a valid date-time; any other stored text exactly."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day).isoformat()
    if value.__class__ is str:
        try:
            return datetime.fromisoformat(value).isoformat()
        except ValueError:
            return value
    return as_text(value)


def as_id(value: object) -> Any:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return as_text(value)


CONTACT_TYPES: Final = {"P": ContactType.PERSON.value, "O": ContactType.ORGANISATION.value}


def as_contact_type(value: object) -> Any:
    """P/O → person/organisation; any other value is kept so validation rejects it."""
    mapped = CONTACT_TYPES.get(value) if value.__class__ is str else None
    return as_text(value) if mapped is None else mapped


def employee_name(first: object, last: object) -> str | None:
    parts = [as_text(part) for part in (first, last) if part is not None]
    return " ".join(parts) if parts else None


def employee_from_row(row: Sequence[Any]) -> Employee:
    flag = as_flag(row[5])
    return Employee(
        employee_id=int(row[0]),
        code=as_text(row[1]),
        first_name=as_text(row[2]),
        last_name=as_text(row[3]),
        email=as_text(row[4]),
        is_active=flag is True,
    )
