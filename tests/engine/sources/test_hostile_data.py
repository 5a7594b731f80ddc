"""Hostile data, generated: whatever the database stores arrives online exactly, or is set
aside with a stated reason; it never changes silently and never stops the batch."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from engine.api import Engine
from engine.contract.document import document_problems
from engine.sources.sqlite import SqliteSource
from sampledata.sqlite_file import generate_reference_database
from tests.engine.conftest import activate, config_for, desktop
from tests.sandbox_harness import RunningSandbox, running_sandbox

# Every plane, control characters included; lone surrogates can't be bound by Python's
# sqlite3 as text, so raw invalid UTF-8 bytes stand for them (see `raw_bytes`).
any_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=300)
maybe_text = st.none() | st.just("") | any_text
raw_bytes = st.binary(min_size=1, max_size=40)
odd_dates = (
    st.none()
    | st.sampled_from(
        ["0001-01-01", "9999-12-31", "2024-02-29", "2023-02-29", "31/12/2020", "", "yesterday"]
    )
    | st.dates().map(str)
)

contact_rows = st.fixed_dictionaries(
    {
        "Code": st.none() | st.text("ABCDEFGHIJ0123456789 ", max_size=10),
        "ContactType": st.sampled_from(["P", "O", "X", ""]),
        "Title": maybe_text,
        "FirstName": maybe_text,
        "LastName": maybe_text,
        "MainName": maybe_text,
        "Email": maybe_text,
        "Notes": maybe_text | raw_bytes,
        "DateOfBirth": odd_dates,
        "TaxFileNumber": st.none() | st.text("0123456789 -", max_size=11),
    }
)
address_rows = st.lists(
    st.fixed_dictionaries(
        {
            "AddressType": st.sampled_from(["Home", "Postal", "Ünknown", ""]),
            "Line1": maybe_text,
            "Suburb": maybe_text,
            "Postcode": maybe_text,
        }
    ),
    max_size=3,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, RunningSandbox]]:
    root = tmp_path_factory.mktemp("hostile")
    db = root / "practice.db"
    generate_reference_database(db, contacts=20, seed=1)
    with running_sandbox(root) as sandbox:
        engine = Engine(config_for(db, sandbox))
        asyncio.run(_activate(engine))
        yield db, sandbox


async def _activate(engine: Engine) -> None:
    try:
        await activate(engine)
    finally:
        await engine.aclose()


def _insert(db: Path, contacts: list[tuple[dict[str, Any], list[dict[str, Any]]]]) -> list[int]:
    connection = desktop(db)
    ids = []
    for row, addresses in contacts:
        columns = ", ".join(f'"{name}"' for name in row)
        marks = ", ".join("?" for _ in row)
        cursor = connection.execute(
            f'INSERT INTO "Contact" ({columns}) VALUES ({marks})', list(row.values())
        )
        contact = int(cursor.lastrowid or 0)
        ids.append(contact)
        for address in addresses:
            columns = ", ".join(f'"{name}"' for name in ["ContactID", *address])
            marks = ", ".join("?" for _ in range(len(address) + 1))
            connection.execute(
                f'INSERT INTO "ContactAddress" ({columns}) VALUES ({marks})',
                [contact, *address.values()],
            )
    connection.close()
    return ids


async def _sync(db: Path, sandbox: RunningSandbox) -> tuple[dict[int, str], bool]:
    engine = Engine(config_for(db, sandbox))
    try:
        status = await engine.sync_once()
        report = await engine.verify()
    finally:
        await engine.aclose()
    set_aside = {item.contact_id: item.reason for item in status.set_aside}
    return set_aside, set(report.lost) <= set(set_aside) and not (report.stale or report.extra)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(contact_rows, address_rows), min_size=1, max_size=6))
def test_generated_contacts_arrive_exactly_or_are_set_aside(
    world: tuple[Path, RunningSandbox],
    contacts: list[tuple[dict[str, Any], list[dict[str, Any]]]],
) -> None:
    db, sandbox = world
    ids = _insert(db, contacts)
    set_aside, consistent = asyncio.run(_sync(db, sandbox))
    assert consistent, "something other than a set-aside contact differs online"
    source = SqliteSource(db)
    try:
        wanted = {int(doc["id"]): doc for doc in source.read_documents(ids)}
    finally:
        source.close()
    with sandbox.client("sync") as api:  # a read token gets TFNs withheld
        for contact in ids:
            online = api.get(f"/contacts/{contact}")
            if contact in set_aside:
                assert set_aside[contact], "set aside without a reason"
                assert online.status_code == 404
            else:
                assert online.status_code == 200
                assert online.json() == wanted[contact]
    for contact in ids:
        # set aside exactly when the shared validator finds something (a type that is no
        # type, text with control characters, a date that is no date), naming the field
        problems = document_problems(wanted[contact])
        if problems:
            field = problems[0].split(" ")[0].split(".")[0].split("[")[0]
            assert field in set_aside[contact], (set_aside[contact], problems)
        else:
            assert contact not in set_aside, set_aside[contact]
