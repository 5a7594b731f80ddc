"""Errors that reach a person: each names the problem and what to do about it."""

from __future__ import annotations


class UserFacingError(Exception):
    """A failure explained in plain words; shown without a traceback."""

    def __init__(self, problem: str, fix: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix

    def __str__(self) -> str:
        return f"{self.problem} {self.fix}".strip()


class SourceError(UserFacingError):
    """The practice database can't be read (unreachable, wrong schema, locked...)."""


class SchemaError(SourceError):
    """The database is reachable but is not the schema the mapping describes."""


class OnlineError(UserFacingError):
    """The online service refused or could not be reached."""


class SettingsError(UserFacingError):
    """A settings, state or credentials file is missing, unreadable or invalid."""
