"""Every statement the SQL Server dialect sends, and its reference schema, read by an
independent T-SQL parser (sqlglot's ``tsql`` dialect): no SQL Server runs here, so this
is the check that the text is T-SQL at all (a typo, a stray LIMIT, a missing bracket).

The statements are found by looking at the classes, not listed by hand: a statement
added to ``Queries`` or ``SqlServerStatements`` without a way to build it here fails
``test_every_statement_builder_is_covered``. What sqlglot can't read is listed in
``UNREADABLE`` with the reason, and must stay unreadable (so the list can't go stale).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property
from typing import Any, Final

import pytest
import sqlglot
from sqlglot import exp
from sqlglot.errors import ErrorLevel, SqlglotError

from engine.sources.dialects.sql import Dialect
from engine.sources.dialects.sqlserver import (
    OWNED_BY_KEY,
    IsolationLevel,
    SqlServerDialect,
    SqlServerStatements,
)
from engine.sources.mapping.mapping_file import load_mapping
from engine.sources.mapping.queries import Queries
from engine.sources.mapping.schema import CHILD_TABLES, LogicalTable
from sampledata.ddl import SchemaSection, schema_sections

#: Constructs sqlglot 30's tsql dialect does not read, each with why (checked below).
UNREADABLE: Final = {
    "CHANGETABLE": "CHANGETABLE(CHANGES t, ?) (Change Tracking's table-valued function)",
    "CREATE TRIGGER": "the INSTEAD OF DELETE trigger's body (read only as an opaque command)",
    "ISOLATION LEVEL SNAPSHOT": "SET TRANSACTION ISOLATION LEVEL SNAPSHOT (READ COMMITTED reads)",
}

Build = Callable[[], list[str]]


def _queries() -> Queries:
    return Queries(load_mapping(), SqlServerDialect())


def _per_table(
    method: Callable[..., str], *extra: Any, tables: Iterable[LogicalTable] = LogicalTable
) -> list[str]:
    return [method(table, *extra) for table in tables]


def statement_builders() -> dict[str, Build]:
    """Each statement builder of Queries and SqlServerStatements, with its arguments."""
    queries = _queries()
    statements = SqlServerStatements(queries)
    builders: dict[str, Build] = {}
    for name, member in inspect.getmembers(Queries):
        if isinstance(member, (cached_property, property)):
            builders[f"Queries.{name}"] = lambda name=name: [getattr(queries, name)]
    builders["Queries.contacts_in"] = lambda: [queries.contacts_in(n) for n in (1, 2, 50)]
    builders["Queries.children_between"] = lambda: _per_table(
        queries.children_between, tables=CHILD_TABLES
    )
    builders["Queries.children_in"] = lambda: _per_table(
        queries.children_in, 3, tables=CHILD_TABLES
    )
    builders["Queries.probe"] = lambda: _per_table(queries.probe)
    for name, member in vars(SqlServerStatements).items():
        if isinstance(member, str) and not name.startswith("_"):
            builders[f"SqlServerStatements.{name}"] = lambda member=member: [member]
    builders["SqlServerStatements.contact_ids_after"] = lambda: [statements.contact_ids_after]
    builders["SqlServerStatements.set_isolation"] = lambda: [
        SqlServerStatements.set_isolation(level) for level in IsolationLevel
    ]
    builders["SqlServerStatements.ct_contact_ids"] = lambda: _per_table(
        statements.ct_contact_ids, tables=(LogicalTable.CONTACT, LogicalTable.CONTACT_EXTRA_FIELD)
    )
    builders["SqlServerStatements.ct_owned_changes"] = lambda: [
        statements.ct_owned_changes(table, key) for table, key in OWNED_BY_KEY
    ]
    builders["SqlServerStatements.owner_index"] = lambda: [
        statements.owner_index(table, key) for table, key in OWNED_BY_KEY
    ]
    return builders


#: Not statements: names they build on (quoted table names for OBJECT_ID's parameter).
NOT_STATEMENTS: Final = {"SqlServerStatements.object_name"}


def test_every_statement_builder_is_covered() -> None:
    public = {f"Queries.{name}" for name, _ in inspect.getmembers(Queries)}
    public |= {f"SqlServerStatements.{name}" for name in vars(SqlServerStatements)}
    public = {name for name in public if not name.split(".")[1].startswith("_")}
    public -= {"Queries.mapping", "Queries.sql", "SqlServerStatements.queries"}
    missing = public - set(statement_builders()) - NOT_STATEMENTS
    assert not missing, f"add a way to build these to statement_builders(): {sorted(missing)}"


def every_statement() -> Iterator[tuple[str, str]]:
    for name, build in statement_builders().items():
        for text in build():
            yield name, text
    for section, texts in schema_sections(Dialect.SQLSERVER).items():
        for index, text in enumerate(texts):
            yield f"resources/sql/sqlserver/schema.sql {section.value} #{index + 1}", text


def unreadable_reason(text: str) -> str | None:
    return next((why for mark, why in UNREADABLE.items() if mark in text), None)


STATEMENTS: Final = list(every_statement())


def reads(text: str) -> bool:
    """Whether sqlglot reads all of it: no error, and nothing left as an opaque Command
    (its fallback for syntax it does not know)."""
    try:
        trees = sqlglot.parse(text, read="tsql", error_level=ErrorLevel.RAISE)
    except SqlglotError:  # ParseError, TokenError
        return False
    found = [tree for tree in trees if tree is not None]
    return bool(found) and not any(tree.find(exp.Command) for tree in found)


@pytest.mark.parametrize(("where", "text"), STATEMENTS, ids=[f"{w}" for w, _ in STATEMENTS])
def test_tsql_parses_it(where: str, text: str) -> None:
    reason = unreadable_reason(text)
    if reason is None:
        assert reads(text), f"{where}: T-SQL sqlglot can't read:\n{text}"
        # sqlglot's tsql reader is lenient about LIMIT, which SQL Server refuses.
        assert "LIMIT" not in text.upper().split(), f"{where}: LIMIT is not T-SQL"
    else:  # listed as unreadable: it must really be (else take it off the list)
        assert not reads(text), f"{where} is read now: take '{reason}' off UNREADABLE"


def test_the_schema_and_statements_were_all_seen() -> None:
    sections = schema_sections(Dialect.SQLSERVER)
    assert sections[SchemaSection.TABLES], "the reference schema has no tables"
    assert len(STATEMENTS) > 40
    assert any(unreadable_reason(text) for _, text in STATEMENTS)
