"""Whether a database has every table and column the mapping names."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from engine.errors import SchemaError
from engine.sources.dialects.sql import SqlDialect
from engine.sources.mapping.schema import LOGICAL_COLUMNS, LogicalTable, SchemaMapping


@dataclass(frozen=True)
class SchemaGaps:
    """What a database lacks of its mapping: required parts stop the sync; optional
    columns are read as empty and named in the status."""

    #: ``Table`` or ``Table.Column`` (physical names) the sync can't go without.
    required: list[str] = field(default_factory=list)
    #: Optional logical columns the database lacks, per table.
    absent: dict[LogicalTable, frozenset[str]] = field(default_factory=dict)
    #: The same as ``Table.Column`` (physical names), for people.
    absent_labels: tuple[str, ...] = ()

    def applied_to(self, mapping: SchemaMapping) -> SchemaMapping:
        """The mapping whose queries read the absent columns as NULL."""
        return mapping if mapping.absent == self.absent else replace(mapping, absent=self.absent)


def schema_gaps(
    describe: Callable[[LogicalTable], list[str] | None],
    mapping: SchemaMapping,
    sql: SqlDialect,
) -> SchemaGaps:
    """Everything the database lacks of the mapping, required and optional apart.

    ``describe`` returns a table's column names, or None when the table doesn't exist.
    """
    missing: list[str] = []
    absent: dict[LogicalTable, set[str]] = {}
    labels: list[str] = []

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
            if fold(physical) in present:
                continue
            if mapping.is_optional(table, logical):
                absent.setdefault(table, set()).add(logical)
                labels.append(f"{label}.{physical}")
            else:
                missing.append(f"{label}.{physical}")
    return SchemaGaps(
        required=missing,
        absent={table: frozenset(columns) for table, columns in absent.items()},
        absent_labels=tuple(labels),
    )


def schema_error(missing: Sequence[str], mapping: SchemaMapping, where: str) -> SchemaError:
    return SchemaError(
        f"The database {where} does not match the mapping file {mapping.source}: "
        f"missing {', '.join(missing)}.",
        "Point the mapping file at the right table and column names, or choose the "
        "practice's database.",
        missing,
    )
