"""The sync engine: reads the practice database, uploads contacts, keeps them in sync.

Imports no Qt: the CLI, the GUI and the tests all drive it through the same API.
"""
