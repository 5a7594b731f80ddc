"""The sample-data side knows every database kind: a new dialect fails here until
``sampledata/ddl.py`` can split its schema (bulk loading falls back to plain inserts)."""

from __future__ import annotations

from engine.sources.dialects.sql import Dialect
from sampledata.ddl import split_statements


def test_the_schema_splitter_keeps_every_statement_for_every_kind() -> None:
    for kind in Dialect:
        batches = split_statements("CREATE TABLE a (x INT);\nCREATE TABLE b (y INT);\n", kind)
        joined = "\n".join(batches)
        assert "CREATE TABLE a" in joined and "CREATE TABLE b" in joined, (kind, batches)
