"""Words a person must read the same way whichever front end asks them (CLI or wizard).

The confirmation is the vendor's own question (people know it); the agreement is the
Terms-of-use checkbox. One home, so the CLI and the wizard can't drift apart.
"""

from __future__ import annotations

from typing import Final

#: Asked before anything is changed: activation then migrates every contact.
CONFIRMATION: Final = (
    "The process to migrate contact details online may take some time. "
    "Are you sure you want to continue?"
)
#: What a person ticks (or answers) to accept the Terms of use.
AGREEMENT: Final = "I agree with the above terms of use"
