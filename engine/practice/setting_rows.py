"""Names of the PracticeSetting rows the program reads and writes.

Kept in one place because the desktop product, the generator and the engine must agree
on the exact spelling.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class PracticeSetting(StrEnum):
    PRACTICE_NAME = "PracticeName"
    #: The practice's online login; must be the email of an active employee.
    MYOB_EMAIL = "Practice.MyobEmail"
    #: "1" once the online Terms of use were accepted.
    LIVE_ACTIVATED = "Live.Activated"
    CONTACTS_MIGRATION_ACTIVATED = "ContactsMigration.Activated"
    CONTACTS_MIGRATION_ACTIVATED_AT = "ContactsMigration.ActivatedAt"
    CONTACTS_MIGRATION_ACTIVATED_BY = "ContactsMigration.ActivatedBy"
    CONTACTS_MIGRATION_MACHINE = "ContactsMigration.Machine"


#: The value the desktop product stores for a switched-on flag setting.
SETTING_TRUE: Final = "1"
