"""The dialect registry is complete: every database kind has a dialect that can be made.

A dialect class missing an abstract method once passed mypy (the registry is typed
``type[OdbcDialect]``) and failed only when a practice connected; here it fails at once.
"""

from __future__ import annotations

import inspect

from engine.sources.dialects.detect import DIALECTS, dialect_for
from engine.sources.dialects.sql import Dialect, SqlDialect


def test_every_registered_dialect_can_be_made_and_is_found_by_its_own_name() -> None:
    for dialect in DIALECTS:
        assert not inspect.isabstract(dialect), (
            f"{dialect.__name__} lacks {sorted(dialect.__abstractmethods__)}"
        )
        made = dialect()
        assert isinstance(made, SqlDialect)
        assert isinstance(dialect_for(dialect.label), dialect)


def test_every_database_kind_has_an_odbc_dialect() -> None:
    assert {dialect.kind for dialect in DIALECTS} == set(Dialect)
