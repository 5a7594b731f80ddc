"""From practice-database tables to contact documents, one job per module.

``schema`` (logical tables and columns), ``mapping_file`` (the TOML that renames them),
``queries`` (the statements), ``values`` (stored value → document value), ``assembly``
(rows → documents), ``reads`` (through any DB-API cursor), ``schema_check`` (what a
database lacks). Nothing is re-exported here, so importing one module never drags in
the others (the dialects import ``schema`` while ``queries`` imports the dialects).
"""
