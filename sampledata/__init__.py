"""Sample practice databases: the generated reference data behind ``init-db``, the demo,
the tests and the benchmarks.

Not part of the sync engine (``engine/`` never imports it): ``generator`` (seeded
Australian practice data into a SQLite file), ``ddl`` (the bundled schema.sql files run
through any DB-API connection), ``loaders`` (how each ODBC database takes a bulk load)
and ``database_init`` (``init-db`` itself).
"""
