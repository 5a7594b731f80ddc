"""The sync checkpoint: where the agent is, stored online atomically with the data.

``since`` is the row version up to which every change is online (None: nothing yet).
A pass in progress over the contacts changed after ``since`` (all contacts for the first
pass) carries ``upper``, the watermark it will reach, and ``after``, the highest
ContactID already sent in it, so a killed agent resumes mid-pass on any machine.
``lookups`` is the digest of the lookup tables (employees, extra-field definitions) the
online documents were built with: when the database's differs, documents changed
without any contact row changing, and a reconciliation brings them up to date.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

from engine.errors import OnlineError

CHECKPOINT_FORMAT = 1


@dataclass(frozen=True)
class Checkpoint:
    since: int | None = None
    upper: int | None = None
    after: int = 0
    lookups: str | None = None

    @property
    def in_pass(self) -> bool:
        return self.upper is not None

    @property
    def migrated(self) -> bool:
        """The first full pass has completed at least once."""
        return self.since is not None

    def encode(self) -> str:
        return json.dumps(
            {
                "v": CHECKPOINT_FORMAT,
                "since": self.since,
                "upper": self.upper,
                "after": self.after,
                "lookups": self.lookups,
            },
            separators=(",", ":"),
        )

    @classmethod
    def decode(cls, text: str | None) -> Checkpoint:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            if data.get("v") != CHECKPOINT_FORMAT:
                raise ValueError("unknown checkpoint format")
            since, upper, after = data["since"], data["upper"], data["after"]
            for value in (since, upper):
                if value is not None and not isinstance(value, int):
                    raise ValueError("bad version")
            if not isinstance(after, int):
                raise ValueError("bad cursor")
            lookups = data.get("lookups")
            if lookups is not None and not isinstance(lookups, str):
                raise ValueError("bad lookups digest")
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise OnlineError(
                "The online checkpoint is not one this version understands.",
                "Update Contacts Migration on this computer.",
            ) from error
        return cls(since=since, upper=upper, after=after, lookups=lookups)

    def start_pass(self, upper: int, lookups: str) -> Checkpoint:
        """A pass's documents are built with the lookups as they are when it starts;
        a first pass records them, a later one keeps what the online copy reflects."""
        return replace(self, upper=upper, after=0, lookups=self.lookups or lookups)

    def advanced(self, after: int) -> Checkpoint:
        return replace(self, after=after)

    def finished(self) -> Checkpoint:
        assert self.upper is not None
        return replace(self, since=self.upper, upper=None, after=0)

    def with_lookups(self, lookups: str) -> Checkpoint:
        return replace(self, lookups=lookups)
