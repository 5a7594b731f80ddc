"""Whether a database has every table and column the mapping names."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from engine.errors import SchemaError
from engine.sources.dialects.sql import SqlDialect
from engine.sources.mapping.schema import LOGICAL_COLUMNS, LogicalTable, SchemaMapping


def missing_schema_parts(
    describe: Callable[[LogicalTable], list[str] | None],
    mapping: SchemaMapping,
    sql: SqlDialect,
) -> list[str]:
    """``Table`` or ``Table.Column`` (physical names) for everything the database lacks.

    ``describe`` returns a table's column names, or None when the table doesn't exist.
    """
    missing: list[str] = []

    def fold(name: str) -> str:
        return name if sql.case_sensitive_identifiers else name.casefold()

    for table in sql.required_tables():
        label = mapping.table(table).label()
        columns = describe(table)
        if columns is None:
            missing.append(label)
            continue
        present = {fold(column) for column in columns}
        for logical in LOGICAL_COLUMNS[table]:
            physical = mapping.column(table, logical)
            if fold(physical) not in present:
                missing.append(f"{label}.{physical}")
    return missing


class MissingSchema(SchemaError):
    """A SchemaError that keeps the list of what is missing (``Table``, ``Table.Column``),
    so the set-up can name it in a practice's words."""

    def __init__(self, problem: str, fix: str, missing: Sequence[str]) -> None:
        super().__init__(problem, fix)
        self.missing = tuple(missing)


def schema_error(missing: Sequence[str], mapping: SchemaMapping, where: str) -> SchemaError:
    return MissingSchema(
        f"The database {where} does not match the mapping file {mapping.source}: "
        f"missing {', '.join(missing)}.",
        "Point the mapping file at the right table and column names, or choose the "
        "practice's database.",
        missing,
    )
