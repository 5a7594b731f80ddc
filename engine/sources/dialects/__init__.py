"""Everything one database does its own way, one module per database.

``sql`` (the SQL text, the root class), ``base`` (the ODBC behaviour), ``sqlite``,
``sqlite_odbc``, ``postgresql``, ``sqlserver``, and ``detect`` (which one a connection
needs). Nothing is re-exported here, so importing the SQL part never loads pyodbc.
"""
