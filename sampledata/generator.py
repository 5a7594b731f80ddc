"""Realistic, reproducible Australian practice data for the reference schema.

Used by tests, the demo and performance checks, so it must be fast (100,000 contacts in
seconds: one transaction, executemany, row versions assigned here instead of by the
per-row triggers, which are created after the load) and the same seed must always give
the same database.
"""

from __future__ import annotations

import itertools
import random
import sqlite3
import time
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, Final

from engine.errors import SourceError, UserFacingError
from engine.practice_settings import PracticeSetting
from engine.sources.dialects.sql import Dialect
from sampledata.ddl import SchemaSection, execute_statements, schema_sections, trigger_names

#: Everything dated is placed before this moment, so output never depends on "now".
REFERENCE_NOW: Final = datetime(2024, 6, 28, 17, 0, 0)
EARLIEST_CREATED: Final = datetime(2003, 7, 1, 8, 0, 0)


class AddressType(StrEnum):
    BILLING = "Billing"
    BUSINESS = "Business"
    HOME = "Home"
    OTHER = "Other"
    POSTAL = "Postal"
    REGISTERED = "Registered"


class ExtraFieldType(StrEnum):
    DATE = "Date"
    NUMBER = "Number"
    FLAG = "Flag"
    TEXT = "Text"


class RelationshipKind(StrEnum):
    SPOUSE = "is spouse of"
    DIRECTOR = "is director of"
    TRUSTEE = "is trustee of"
    PARTNER = "is partner of"
    SHAREHOLDER = "is shareholder of"


class OrganisationKind(StrEnum):
    COMPANY = "Company"
    TRUST = "Trust"
    SUPER_FUND = "Superannuation Fund"
    PARTNERSHIP = "Partnership"


#: ExtraFieldDefinition rows: (FieldID, Name, DataType).
EXTRA_FIELDS: Final = (
    (1, "ABN", ExtraFieldType.TEXT),
    (2, "ACN", ExtraFieldType.TEXT),
    (3, "BALMTH", ExtraFieldType.NUMBER),
    (4, "GSTREG", ExtraFieldType.FLAG),
    (5, "INCDATE", ExtraFieldType.DATE),
    (6, "IRD", ExtraFieldType.TEXT),
    (7, "ENGAGED", ExtraFieldType.DATE),
)
_FIELD = {name: field_id for field_id, name, _ in EXTRA_FIELDS}

MALE_NAMES: Final = (
    "Jack", "Oliver", "William", "Noah", "Thomas", "James", "Lachlan", "Ethan", "Liam",
    "Benjamin", "Samuel", "Joshua", "Daniel", "Matthew", "Lucas", "Henry", "Cooper",
    "Riley", "Angus", "Hamish", "Mitchell", "Bradley", "Darren", "Craig", "Wayne",
    "Anh", "Minh", "Wei", "Raj", "Arjun", "Mohammed", "Giorgos", "Nikolaos", "Wiremu",
    "Tāne", "Rāwiri", "José", "Zoë", "Seán",
)  # fmt: skip
FEMALE_NAMES: Final = (
    "Charlotte", "Olivia", "Amelia", "Isla", "Mia", "Ava", "Grace", "Chloe", "Sophie",
    "Emily", "Ruby", "Matilda", "Harper", "Zoe", "Jessica", "Sarah", "Michelle",
    "Kylie", "Sharon", "Karen", "Leanne", "Mei", "Linh", "Priya", "Fatima", "Eleni",
    "Aroha", "Mereana", "Renée", "Chloé", "Siobhán", "Anaïs", "Ngaio",
)  # fmt: skip
SURNAMES: Final = (
    "Smith", "Jones", "Williams", "Brown", "Wilson", "Taylor", "Johnson", "White",
    "Martin", "Anderson", "Thompson", "Nguyen", "Tran", "Le", "Ryan", "Walker",
    "Harris", "Kelly", "King", "Lee", "Wang", "Zhang", "Li", "Chen", "Singh", "Patel",
    "Kaur", "Robinson", "Wright", "Campbell", "Stewart", "Mitchell", "O'Brien",
    "O'Connor", "McDonald", "MacKenzie", "Murphy", "Papadopoulos", "Nikolaidis",
    "Rossi", "Russo", "Bianchi", "Ngata", "Te Whare", "Ngāta", "Müller", "Schröder",
    "Doğan", "García", "Fernández", "Hughes", "Edwards", "Evans", "Cooper", "Baker",
    "Hall", "Young", "Allen", "Clarke", "Scott", "Green", "Adams", "Hill", "Morris",
    "Wood", "Bell", "Graham", "Duncan", "Fitzgerald", "Van der Berg", "De Silva",
)  # fmt: skip
BUSINESS_WORDS: Final = (
    "Coastal", "Harbour", "Southern Cross", "Outback", "Eucalypt", "Bluegum", "Wattle",
    "Banksia", "Kookaburra", "Riverina", "Pacific", "Summit", "Redgum", "Ironbark",
    "Sandstone", "Greenfield", "Northside", "Bayside", "Highland", "Goldfields",
)  # fmt: skip
INDUSTRIES: Final = (
    "Plumbing", "Electrical", "Constructions", "Dental", "Physiotherapy", "Cafe",
    "Café", "Logistics", "Landscaping", "Consulting", "Engineering", "Motors",
    "Property", "Investments", "Holdings", "Medical", "Vineyards", "Cattle Co",
    "Bakery", "Legal", "Design", "Imports", "Earthmoving", "Accounting",
)  # fmt: skip
STREET_NAMES: Final = (
    "George", "King", "Queen", "Victoria", "Elizabeth", "Church", "High", "Station",
    "Railway", "Park", "Bridge", "Pacific", "Princes", "Hume", "Smith", "Collins",
    "Bourke", "Pitt", "Macquarie", "Hunter", "Murray", "Darling", "Flinders", "Wattle",
    "Banksia", "Acacia", "Jacaranda", "Waratah", "Boronia", "Ocean", "Beach", "Hill",
)  # fmt: skip
STREET_TYPES: Final = (
    "Street", "Road", "Avenue", "Parade", "Crescent", "Drive", "Place", "Court",
    "Lane", "Highway", "Close", "Terrace", "Way", "Boulevard",
)  # fmt: skip
#: (Suburb, State, Postcode).
SUBURBS: Final = (
    ("Sydney", "NSW", "2000"), ("Parramatta", "NSW", "2150"), ("Chatswood", "NSW", "2067"),
    ("Newcastle", "NSW", "2300"), ("Wollongong", "NSW", "2500"), ("Penrith", "NSW", "2750"),
    ("Bondi Junction", "NSW", "2022"), ("Dubbo", "NSW", "2830"), ("Wagga Wagga", "NSW", "2650"),
    ("Melbourne", "VIC", "3000"), ("Fitzroy", "VIC", "3065"), ("Geelong", "VIC", "3220"),
    ("Ballarat", "VIC", "3350"), ("Bendigo", "VIC", "3550"), ("Box Hill", "VIC", "3128"),
    ("St Kilda", "VIC", "3182"), ("Brisbane City", "QLD", "4000"), ("Southport", "QLD", "4215"),
    ("Toowoomba", "QLD", "4350"), ("Cairns", "QLD", "4870"), ("Townsville", "QLD", "4810"),
    ("Maroochydore", "QLD", "4558"), ("Perth", "WA", "6000"), ("Fremantle", "WA", "6160"),
    ("Joondalup", "WA", "6027"), ("Bunbury", "WA", "6230"), ("Adelaide", "SA", "5000"),
    ("Glenelg", "SA", "5045"), ("Mount Gambier", "SA", "5290"), ("Hobart", "TAS", "7000"),
    ("Launceston", "TAS", "7250"), ("Devonport", "TAS", "7310"), ("Canberra", "ACT", "2601"),
    ("Belconnen", "ACT", "2617"), ("Tuggeranong", "ACT", "2900"), ("Darwin", "NT", "0800"),
    ("Alice Springs", "NT", "0870"), ("Palmerston", "NT", "0830"),
)  # fmt: skip
AREA_CODES: Final = {
    "NSW": "02", "ACT": "02", "VIC": "03", "TAS": "03", "QLD": "07",
    "WA": "08", "SA": "08", "NT": "08",
}  # fmt: skip
EMAIL_DOMAINS: Final = (
    "gmail.com", "bigpond.com", "outlook.com", "icloud.com", "optusnet.com.au",
    "hotmail.com", "iinet.net.au", "yahoo.com.au",
)  # fmt: skip
NOTES: Final = (
    "Prefers contact by email.",
    "Meets at the café on Tuesdays – bring the BAS workpapers.",
    "Kia ora! Trustee of the whānau trust; speaks te reo Māori.",
    "Year-end pack sent 👍",
    "Referred by Zoë Müller.",
    "Moved to Ōtautahi (Christchurch) — check NZ residency.",
    "Do not call before 10am.\nUses MYOB AccountRight.",
    "Late lodgement penalty remitted 2022.",
    "ATO payment plan in place; review quarterly.",
    "Directors: see relationships. Company secretary: “J. Nguyen”.",
    "Spanish speaker (español); daughter interprets.",
    "Client since the Parramatta office opened 🎉",
)
TRUST_NAMES: Final = ("Family Trust", "Family Trust", "Unit Trust", "Investment Trust")
SUPER_FUND_NAMES: Final = ("Superannuation Fund", "Family Super Fund", "Retirement Fund")
TITLES_MALE: Final = ("Mr", "Mr", "Mr", "Dr")
TITLES_FEMALE: Final = ("Ms", "Mrs", "Miss", "Ms", "Dr")
SUFFIXES: Final = ("Jr", "Snr", "OAM", "AM", "III")
OFFICES: Final = ("Sydney", "Parramatta", "Newcastle")
DEPARTMENTS: Final = ("Tax", "Business Services", "SMSF", "Audit", "Advisory")
PRACTICE_NAMES: Final = (
    "Harbourview Accountants", "Wattle & Gum Chartered Accountants",
    "Southern Cross Tax Advisers", "Bluegum Business Partners", "Redgum Advisory Group",
)  # fmt: skip

ABN_WEIGHTS: Final = (10, 1, 3, 5, 7, 9, 11, 13, 15, 17, 19)
TFN_WEIGHTS: Final = (1, 4, 3, 7, 5, 8, 6, 9, 10)
ACN_WEIGHTS: Final = (8, 7, 6, 5, 4, 3, 2, 1)


def abn_is_valid(abn: str) -> bool:
    """The ATO check: subtract 1 from the first digit, weighted sum divisible by 89."""
    digits = [int(ch) for ch in abn if ch.isdigit()]
    if len(digits) != 11:
        return False
    digits[0] -= 1
    return sum(d * w for d, w in zip(digits, ABN_WEIGHTS, strict=True)) % 89 == 0


def make_abn(rng: random.Random) -> str:
    """A random ABN with a valid checksum, written "12 345 678 901"."""
    rest = [rng.randrange(10) for _ in range(9)]
    partial = sum(d * w for d, w in zip(rest, ABN_WEIGHTS[2:], strict=True))
    for lead in range(10, 100):
        first, second = divmod(lead, 10)
        if ((first - 1) * 10 + second + partial) % 89 == 0:
            digits = f"{lead}{''.join(map(str, rest))}"
            return f"{digits[:2]} {digits[2:5]} {digits[5:8]} {digits[8:]}"
    raise AssertionError("every residue mod 89 has a two-digit lead")  # pragma: no cover


def make_tfn(rng: random.Random) -> str:
    """A random 9-digit TFN with a valid checksum, written "123 456 782"."""
    while True:
        head = [rng.randrange(10) for _ in range(8)]
        total = sum(d * w for d, w in zip(head, TFN_WEIGHTS, strict=False))
        last = total % 11  # 10 * last ≡ -last (mod 11)
        if last < 10:
            digits = "".join(map(str, [*head, last]))
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def make_acn(rng: random.Random) -> str:
    head = [rng.randrange(10) for _ in range(8)]
    check = (10 - sum(d * w for d, w in zip(head, ACN_WEIGHTS, strict=True)) % 10) % 10
    digits = "".join(map(str, [*head, check]))
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}"


def _ascii_letters(text: str) -> str:
    """Letters only, accents removed: for codes and email addresses."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalpha())


@dataclass(frozen=True)
class GenerationSummary:
    employees: int
    contacts: int
    addresses: int
    extra_fields: int
    relationships: int
    #: The row-version counter after the load (every RowVer is unique and <= it).
    last_row_version: int
    seconds: float


@dataclass
class _Rows:
    employees: list[tuple[Any, ...]]
    settings: list[tuple[str, str]]
    contacts: list[tuple[Any, ...]]
    addresses: list[tuple[Any, ...]]
    extra_fields: list[tuple[Any, ...]]
    relationships: list[tuple[Any, ...]]
    last_row_version: int


class _Generator:
    """Builds every row in memory from one seeded random generator."""

    def __init__(self, seed: int, contacts: int) -> None:
        self.rng = random.Random(seed)
        self.count = contacts
        self.versions: Iterator[int] = itertools.count(1)
        self.codes: set[str] = set()
        self.code_counters: dict[str, int] = {}

    # --- small helpers ---

    def chance(self, probability: float) -> bool:
        return self.rng.random() < probability

    def pick(self, options: Sequence[Any]) -> Any:
        return options[int(self.rng.random() * len(options))]

    def timestamp(self, earliest: datetime, latest: datetime) -> datetime:
        span = int((latest - earliest).total_seconds())
        return earliest + timedelta(seconds=self.rng.randrange(span))

    def day(self, first_year: int, last_year: int) -> str:
        start = date(first_year, 1, 1).toordinal()
        end = date(last_year, 12, 31).toordinal()
        return date.fromordinal(self.rng.randint(start, end)).isoformat()

    def code(self, name: str) -> str:
        prefix = _ascii_letters(name).upper()[:6] or "CLIENT"
        while True:
            number = self.code_counters.get(prefix, 0) + 1
            self.code_counters[prefix] = number
            digits = f"{number:04d}"
            candidate = prefix[: 10 - len(digits)] + digits
            if candidate not in self.codes:
                self.codes.add(candidate)
                return candidate

    def phone(self, state: str) -> str:
        area = AREA_CODES[state]
        return f"({area}) {self.rng.randint(4000, 9999)} {self.rng.randint(0, 9999):04d}"

    def mobile(self) -> str:
        rng = self.rng
        return f"04{rng.randint(0, 99):02d} {rng.randint(0, 999):03d} {rng.randint(0, 999):03d}"

    # --- tables ---

    def employees(self) -> tuple[list[tuple[Any, ...]], list[tuple[str, str]]]:
        rng = self.rng
        count = rng.randint(10, 30)
        practice = self.pick(PRACTICE_NAMES)
        domain = _ascii_letters(practice.split()[0]).lower() + ".com.au"
        rows: list[tuple[Any, ...]] = []
        used_codes: set[str] = set()
        for employee_id in range(1, count + 1):
            female = self.chance(0.5)
            first = self.pick(FEMALE_NAMES if female else MALE_NAMES)
            last = self.pick(SURNAMES)
            base = (_ascii_letters(first)[:1] + _ascii_letters(last)[:3]).upper()
            code = base
            suffix = 1
            while code in used_codes:
                suffix += 1
                code = f"{base}{suffix}"
            used_codes.add(code)
            email = f"{_ascii_letters(first).lower()}.{_ascii_letters(last).lower()}@{domain}"
            active = employee_id <= 3 or self.chance(0.8)
            rows.append((employee_id, code, first, last, email, 1 if active else 0))
        login = self.pick([row for row in rows if row[5] == 1])
        settings = [
            (PracticeSetting.PRACTICE_NAME.value, practice),
            (PracticeSetting.MYOB_EMAIL.value, login[4]),
        ]
        return rows, settings

    def contacts(
        self, employees: list[tuple[Any, ...]]
    ) -> tuple[list[tuple[Any, ...]], dict[str, list[int]], list[tuple[int, str, str, bool]]]:
        """Contact rows, ids by kind (for relationships) and (id, kind, state, client)."""
        rng = self.rng
        active = [row[0] for row in employees if row[5] == 1]
        partners = active[: max(2, len(active) // 4)]
        managers = active[len(partners) :] or active
        kinds: dict[str, list[int]] = {"person": [], **{k.value: [] for k in OrganisationKind}}
        info: list[tuple[int, str, str, bool]] = []
        rows: list[tuple[Any, ...]] = []
        org_kinds = (
            [OrganisationKind.COMPANY] * 45
            + [OrganisationKind.TRUST] * 28
            + [OrganisationKind.SUPER_FUND] * 15
            + [OrganisationKind.PARTNERSHIP] * 12
        )
        for contact_id in range(1, self.count + 1):
            person = rng.random() < 0.62
            client = rng.random() < 0.75
            _, state, _ = self.pick(SUBURBS)
            email: str | None
            title = first = middle = last = suffix = gender = dob = tfn = None
            org_type = website = None
            if person:
                female = rng.random() < 0.5
                gender = None if rng.random() < 0.05 else ("F" if female else "M")
                first = self.pick(FEMALE_NAMES if female else MALE_NAMES)
                middle = (
                    self.pick(FEMALE_NAMES if female else MALE_NAMES)
                    if rng.random() < 0.4
                    else None
                )
                last = self.pick(SURNAMES)
                title = (
                    self.pick(TITLES_FEMALE if female else TITLES_MALE)
                    if rng.random() < 0.9
                    else None
                )
                suffix = self.pick(SUFFIXES) if rng.random() < 0.02 else None
                main_name = f"{last}, {first}"
                salutation = (
                    f"Dear {first}"
                    if rng.random() < 0.6
                    else f"Dear {title or ''} {last}".replace("  ", " ")
                )
                addressee = " ".join(part for part in (title, first, last) if part)
                dob = self.day(1935, 2005) if rng.random() < 0.85 else None
                tfn = make_tfn(rng) if client and rng.random() < 0.6 else None
                local = f"{_ascii_letters(first).lower()}.{_ascii_letters(last).lower()}"
                number = str(rng.randint(1, 99)) if rng.random() < 0.3 else ""
                email = f"{local}{number}@{self.pick(EMAIL_DOMAINS)}"
                kinds["person"].append(contact_id)
                kind = "person"
            else:
                org_kind = self.pick(org_kinds)
                family = self.pick(SURNAMES)
                if org_kind is OrganisationKind.COMPANY:
                    word = family if rng.random() < 0.4 else self.pick(BUSINESS_WORDS)
                    main_name = f"{word} {self.pick(INDUSTRIES)} Pty Ltd"
                elif org_kind is OrganisationKind.TRUST:
                    main_name = f"{family} {self.pick(TRUST_NAMES)}"
                elif org_kind is OrganisationKind.SUPER_FUND:
                    main_name = f"{family} {self.pick(SUPER_FUND_NAMES)}"
                else:
                    other = self.pick(SURNAMES)
                    main_name = f"{family} & {other} Partnership"
                org_type = org_kind.value
                salutation = "Dear Sir/Madam"
                addressee = (
                    f"The Directors, {main_name}"
                    if org_kind is OrganisationKind.COMPANY
                    else main_name
                )
                slug = _ascii_letters(main_name.split(" Pty")[0]).lower()[:24]
                email = f"{self.pick(('info', 'admin', 'accounts'))}@{slug}.com.au"
                website = f"www.{slug}.com.au" if rng.random() < 0.3 else None
                kinds[org_kind.value].append(contact_id)
                kind = org_kind.value
            if rng.random() < 0.04:
                email = None
            code = self.code(last if person and last else main_name) if client else None
            created = self.timestamp(EARLIEST_CREATED, REFERENCE_NOW)
            modified = self.timestamp(created, REFERENCE_NOW) if rng.random() < 0.7 else created
            rows.append(
                (
                    contact_id,
                    code,
                    "P" if person else "O",
                    0 if client else 1,
                    title,
                    first,
                    middle,
                    last,
                    suffix,
                    main_name,
                    org_type,
                    gender,
                    dob,
                    tfn,
                    salutation,
                    addressee,
                    self.pick(partners) if client and rng.random() < 0.95 else None,
                    self.pick(managers) if client and rng.random() < 0.8 else None,
                    self.pick(OFFICES) if client else None,
                    self.pick(DEPARTMENTS) if client and rng.random() < 0.7 else None,
                    (last or "").upper() if person and rng.random() < 0.3 else None,
                    self.phone(state) if rng.random() < 0.7 else None,
                    self.phone(state) if rng.random() < 0.05 else None,
                    self.mobile() if person and rng.random() < 0.8 else None,
                    email,
                    website,
                    self.pick(NOTES) if rng.random() < 0.2 else None,
                    1 if rng.random() < 0.06 else 0,
                    created.isoformat(sep=" "),
                    modified.isoformat(sep=" "),
                    next(self.versions),
                )
            )
            info.append((contact_id, kind, state, client))
        return rows, kinds, info

    def addresses(self, info: list[tuple[int, str, str, bool]]) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows: list[tuple[Any, ...]] = []
        address_id = itertools.count(1)
        person_types = (AddressType.POSTAL, AddressType.HOME, AddressType.OTHER)
        org_types = (
            AddressType.BUSINESS,
            AddressType.POSTAL,
            AddressType.REGISTERED,
            AddressType.BILLING,
        )
        counts = (0, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4)
        for contact_id, kind, home_state, _ in info:
            types = person_types if kind == "person" else org_types
            how_many = min(self.pick(counts), len(types))
            chosen = rng.sample(types, how_many)
            local = [entry for entry in SUBURBS if entry[1] == home_state]
            for position, address_type in enumerate(chosen):
                suburb, state, postcode = self.pick(local if rng.random() < 0.85 else SUBURBS)
                line2 = line3 = None
                if address_type is AddressType.POSTAL and rng.random() < 0.5:
                    line1 = f"PO Box {rng.randint(1, 9999)}"
                else:
                    number = rng.randint(1, 450)
                    street = f"{self.pick(STREET_NAMES)} {self.pick(STREET_TYPES)}"
                    line1 = f"{number} {street}"
                    if rng.random() < 0.15:
                        line1 = f"Unit {rng.randint(1, 40)}, {line1}"
                    if kind != "person" and rng.random() < 0.3:
                        line2, line1 = line1, f"Level {rng.randint(1, 30)}"
                    if rng.random() < 0.02:
                        line3 = "C/- Reception"
                country = "Australia"
                if rng.random() < 0.01:
                    suburb, state, postcode, country = "Auckland", None, "1010", "New Zealand"
                rows.append(
                    (
                        next(address_id),
                        contact_id,
                        address_type.value,
                        line1,
                        line2,
                        line3,
                        suburb,
                        state,
                        postcode,
                        country,
                        1 if position == 0 else 0,
                        next(self.versions),
                    )
                )
        return rows

    def extra_fields(self, info: list[tuple[int, str, str, bool]]) -> list[tuple[Any, ...]]:
        rng = self.rng
        rows: list[tuple[Any, ...]] = []
        for contact_id, kind, _, client in info:
            values: list[tuple[str, str]] = []
            if kind == "person":
                if rng.random() < 0.25:
                    values.append(("ABN", make_abn(rng)))
                if rng.random() < 0.7:
                    values.append(("BALMTH", "6"))
                if rng.random() < 0.3:
                    values.append(("GSTREG", self.pick(("Y", "N"))))
                if rng.random() < 0.03:
                    values.append(("IRD", f"{rng.randint(10_000_000, 149_999_999):09d}"))
            else:
                if rng.random() < 0.9:
                    values.append(("ABN", make_abn(rng)))
                if kind == OrganisationKind.COMPANY.value:
                    values.append(("ACN", make_acn(rng)))
                    values.append(("INCDATE", self.day(1975, 2023)))
                values.append(("BALMTH", self.pick(("6", "6", "6", "12", "3"))))
                if rng.random() < 0.8:
                    values.append(("GSTREG", self.pick(("Y", "Y", "N"))))
            if client and rng.random() < 0.5:
                values.append(("ENGAGED", self.day(2010, 2024)))
            for name, value in values:
                rows.append((contact_id, _FIELD[name], value, next(self.versions)))
        return rows

    def relationships(self, kinds: dict[str, list[int]]) -> list[tuple[Any, ...]]:
        rng = self.rng
        people = kinds["person"]
        rows: list[tuple[Any, ...]] = []
        relationship_id = itertools.count(1)

        def add(owner: int, kind: RelationshipKind, related: int) -> None:
            start = self.day(1995, 2023) if rng.random() < 0.6 else None
            end = self.day(2020, 2024) if start and rng.random() < 0.05 else None
            if end is not None and start is not None and end < start:
                start, end = end, start
            rows.append((next(relationship_id), owner, related, kind.value, start, end, 0))

        if len(people) < 2:
            return rows
        for person in people:
            if rng.random() < 0.1:
                spouse = self.pick(people)
                if spouse != person:
                    add(person, RelationshipKind.SPOUSE, spouse)
                    add(spouse, RelationshipKind.SPOUSE, person)
        companies = kinds[OrganisationKind.COMPANY.value]
        for company in companies:
            for _ in range(1 if rng.random() < 0.7 else 2):
                add(self.pick(people), RelationshipKind.DIRECTOR, company)
            if rng.random() < 0.3:
                add(self.pick(people), RelationshipKind.SHAREHOLDER, company)
        for trust in kinds[OrganisationKind.TRUST.value] + kinds[OrganisationKind.SUPER_FUND.value]:
            if companies and rng.random() < 0.4:
                add(self.pick(companies), RelationshipKind.TRUSTEE, trust)
            else:
                add(self.pick(people), RelationshipKind.TRUSTEE, trust)
        for partnership in kinds[OrganisationKind.PARTNERSHIP.value]:
            for partner in rng.sample(people, 2):
                add(partner, RelationshipKind.PARTNER, partnership)
        # Versions in RelationshipID order, like rows inserted one by one.
        return [(*row[:-1], next(self.versions)) for row in rows]

    def build(self) -> _Rows:
        employees, settings = self.employees()
        contacts, kinds, info = self.contacts(employees)
        addresses = self.addresses(info)
        extra_fields = self.extra_fields(info)
        relationships = self.relationships(kinds)
        return _Rows(
            employees=employees,
            settings=settings,
            contacts=contacts,
            addresses=addresses,
            extra_fields=extra_fields,
            relationships=relationships,
            last_row_version=next(self.versions) - 1,
        )


_INSERTS: Final = {
    "Employee": "INSERT INTO Employee (EmployeeID, Code, FirstName, LastName, Email, IsActive)"
    " VALUES (?, ?, ?, ?, ?, ?)",
    "PracticeSetting": "INSERT INTO PracticeSetting (Name, Value) VALUES (?, ?)",
    "ExtraFieldDefinition": "INSERT INTO ExtraFieldDefinition (FieldID, Name, DataType)"
    " VALUES (?, ?, ?)",
    "Contact": "INSERT INTO Contact (ContactID, Code, ContactType, IsContact, Title, FirstName,"
    " MiddleName, LastName, Suffix, MainName, OrganisationType, Gender, DateOfBirth,"
    " TaxFileNumber, Salutation, Addressee, PartnerID, ManagerID, Office, Department,"
    " FamilyGroup, Phone, Fax, Mobile, Email, Website, Notes, IsArchived, CreatedAt,"
    " ModifiedAt, RowVer) VALUES (" + ", ".join("?" * 31) + ")",
    "ContactAddress": "INSERT INTO ContactAddress (AddressID, ContactID, AddressType, Line1,"
    " Line2, Line3, Suburb, State, Postcode, Country, IsPrimary, RowVer)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "ContactExtraField": "INSERT INTO ContactExtraField (ContactID, FieldID, Value, RowVer)"
    " VALUES (?, ?, ?, ?)",
    "ContactRelationship": "INSERT INTO ContactRelationship (RelationshipID, ContactID,"
    " RelatedContactID, Kind, StartDate, EndDate, RowVer) VALUES (?, ?, ?, ?, ?, ?, ?)",
}


def populate(connection: sqlite3.Connection, *, contacts: int, seed: int) -> GenerationSummary:
    """Fill an empty reference-schema SQLite database in one transaction.

    The RowVer triggers are dropped for the load and created again before COMMIT (SQLite
    DDL is transactional), with every RowVer assigned here from one sequence and the
    counter left at the highest, exactly as the triggers would have done it.
    """
    if contacts < 0:
        raise UserFacingError("The number of contacts can't be negative.", "Give 0 or more.")
    started = time.perf_counter()
    rows = _Generator(seed, contacts).build()
    sections = schema_sections(Dialect.SQLITE)
    triggers = sections[SchemaSection.TRIGGERS]
    if connection.in_transaction:
        connection.commit()
    previous_isolation = connection.isolation_level
    connection.isolation_level = None
    cursor = connection.cursor()
    try:
        cursor.execute("BEGIN IMMEDIATE")
        existing = cursor.execute("SELECT COUNT(*) FROM Contact").fetchone()[0]
        if existing:
            raise SourceError(
                "The database already has contacts; the generator only fills an empty one.",
                "Create a new database instead.",
            )
        for name in trigger_names(triggers):
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.executemany(_INSERTS["Employee"], rows.employees)
        cursor.executemany(_INSERTS["PracticeSetting"], rows.settings)
        cursor.executemany(
            _INSERTS["ExtraFieldDefinition"], [(i, n, t.value) for i, n, t in EXTRA_FIELDS]
        )
        cursor.executemany(_INSERTS["Contact"], rows.contacts)
        cursor.executemany(_INSERTS["ContactAddress"], rows.addresses)
        cursor.executemany(_INSERTS["ContactExtraField"], rows.extra_fields)
        cursor.executemany(_INSERTS["ContactRelationship"], rows.relationships)
        cursor.execute(
            "UPDATE RowVersionCounter SET Value = ? WHERE Id = 1", (rows.last_row_version,)
        )
        execute_statements(connection, triggers)
        cursor.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            cursor.execute("ROLLBACK")
        raise
    finally:
        cursor.close()
        connection.isolation_level = previous_isolation
    return GenerationSummary(
        employees=len(rows.employees),
        contacts=len(rows.contacts),
        addresses=len(rows.addresses),
        extra_fields=len(rows.extra_fields),
        relationships=len(rows.relationships),
        last_row_version=rows.last_row_version,
        seconds=time.perf_counter() - started,
    )


def create_sqlite_schema(connection: sqlite3.Connection) -> None:
    """The whole reference schema (tables, then triggers) in one transaction."""
    sections = schema_sections(Dialect.SQLITE)
    previous_isolation = connection.isolation_level
    connection.isolation_level = None
    try:
        connection.execute("BEGIN")
        execute_statements(connection, sections[SchemaSection.TABLES])
        execute_statements(connection, sections[SchemaSection.TRIGGERS])
        connection.execute("COMMIT")
    except BaseException:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        raise
    finally:
        connection.isolation_level = previous_isolation


def generate_reference_database(
    path: Path, *, contacts: int = 1000, seed: int = 1
) -> GenerationSummary:
    """Create a new SQLite database (WAL mode) with the reference schema and data."""
    if path.exists() and path.stat().st_size > 0:
        raise UserFacingError(
            f"{path} already exists.", "Choose a new file name for the generated database."
        )
    started = time.perf_counter()
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        # Bulk load with a rollback journal (no WAL copy of every page), then hand the
        # database over in WAL mode so readers and the desktop product don't block.
        connection.execute("PRAGMA foreign_keys = OFF")  # generated rows are consistent
        connection.execute("PRAGMA cache_size = -65536")
        create_sqlite_schema(connection)
        summary = populate(connection, contacts=contacts, seed=seed)
        connection.execute("PRAGMA journal_mode = WAL")
    finally:
        connection.close()
    return GenerationSummary(
        employees=summary.employees,
        contacts=summary.contacts,
        addresses=summary.addresses,
        extra_fields=summary.extra_fields,
        relationships=summary.relationships,
        last_row_version=summary.last_row_version,
        seconds=time.perf_counter() - started,
    )
