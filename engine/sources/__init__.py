"""Readers of the practice database, one per kind of database."""
