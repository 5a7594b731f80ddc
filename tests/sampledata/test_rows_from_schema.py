"""Sample rows and their INSERTs come from the schema's one column list: a new column is
one key where the generator makes its value, and a forgotten one is named, not shifted."""

from __future__ import annotations

import pytest

from engine.sources.mapping.schema import LOGICAL_COLUMNS, LogicalTable
from sampledata.generator import RowBuilder, table_row
from sampledata.sqlite_file import _INSERTS


def test_a_row_follows_the_schema_order_whatever_the_key_order() -> None:
    columns = LOGICAL_COLUMNS[LogicalTable.CONTACT_EXTRA_FIELD]
    values = {column: index for index, column in enumerate(columns)}
    assert table_row(LogicalTable.CONTACT_EXTRA_FIELD, dict(reversed(values.items()))) == tuple(
        range(len(columns))
    )


def test_a_missing_or_unknown_column_is_named() -> None:
    table = LogicalTable.PRACTICE_SETTING
    with pytest.raises(KeyError, match="no value for 'Value'"):
        table_row(table, {"Name": "x"})
    with pytest.raises(KeyError, match="Nickname"):
        table_row(table, {"Name": "x", "Value": "y", "Nickname": "z"})


def test_generated_contacts_fill_every_column_and_the_insert_names_them_all() -> None:
    rows = RowBuilder(seed=3, contacts=40).build()
    columns = LOGICAL_COLUMNS[LogicalTable.CONTACT]
    assert {len(row) for row in rows.contacts} == {len(columns)}
    for table in LogicalTable:
        insert = _INSERTS[table.value]
        assert insert.count("?") == len(LOGICAL_COLUMNS[table])
        assert all(column in insert for column in LOGICAL_COLUMNS[table])
