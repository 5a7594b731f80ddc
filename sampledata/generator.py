"""Realistic, reproducible Australian practice data for the reference schema: every row
built in memory from one seed (``sqlite_file.py`` writes them).

Used by tests, the demo and performance checks, so it must be fast (100,000 contacts in
seconds: row versions are assigned here instead of by the per-row triggers, which are
created after the load) and the same seed must always give the same database.
"""

from __future__ import annotations

import itertools
import random
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from engine.practice.setting_rows import PracticeSetting
from engine.sources.mapping.schema import LOGICAL_COLUMNS, LogicalTable
from sampledata.tax_numbers import make_abn, make_acn, make_tfn
from sampledata.vocabulary import (
    AREA_CODES,
    BUSINESS_WORDS,
    DEPARTMENTS,
    EARLIEST_CREATED,
    EMAIL_DOMAINS,
    FEMALE_NAMES,
    FIELD_IDS,
    INDUSTRIES,
    MALE_NAMES,
    NOTES,
    OFFICES,
    PRACTICE_NAMES,
    REFERENCE_NOW,
    STREET_NAMES,
    STREET_TYPES,
    SUBURBS,
    SUFFIXES,
    SUPER_FUND_NAMES,
    SURNAMES,
    TITLES_FEMALE,
    TITLES_MALE,
    TRUST_NAMES,
    AddressType,
    OrganisationKind,
    RelationshipKind,
)


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
class GeneratedRows:
    employees: list[tuple[Any, ...]]
    settings: list[tuple[str, str]]
    contacts: list[tuple[Any, ...]]
    addresses: list[tuple[Any, ...]]
    extra_fields: list[tuple[Any, ...]]
    relationships: list[tuple[Any, ...]]
    last_row_version: int


T = LogicalTable


def table_row(table: LogicalTable, values: dict[str, Any]) -> tuple[Any, ...]:
    """One row in the schema's own column order (``LOGICAL_COLUMNS``): a new column is
    one more key where its value is made, never a position to count; a missing or an
    unknown key is named."""
    columns = LOGICAL_COLUMNS[table]
    try:
        row = tuple(map(values.__getitem__, columns))
    except KeyError as missing:
        raise KeyError(f"{table.value} row has no value for {missing}") from None
    if len(values) != len(columns):
        unknown = sorted(set(values) - set(columns))
        raise KeyError(f"{table.value} row names columns the schema lacks: {unknown}")
    return row


class RowBuilder:
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
                table_row(
                    T.CONTACT,
                    {
                        "ContactID": contact_id,
                        "Code": code,
                        "ContactType": "P" if person else "O",
                        "IsContact": 0 if client else 1,
                        "Title": title,
                        "FirstName": first,
                        "MiddleName": middle,
                        "LastName": last,
                        "Suffix": suffix,
                        "MainName": main_name,
                        "OrganisationType": org_type,
                        "Gender": gender,
                        "DateOfBirth": dob,
                        "TaxFileNumber": tfn,
                        "Salutation": salutation,
                        "Addressee": addressee,
                        "PartnerID": self.pick(partners)
                        if client and rng.random() < 0.95
                        else None,
                        "ManagerID": self.pick(managers) if client and rng.random() < 0.8 else None,
                        "Office": self.pick(OFFICES) if client else None,
                        "Department": self.pick(DEPARTMENTS)
                        if client and rng.random() < 0.7
                        else None,
                        "FamilyGroup": (last or "").upper()
                        if person and rng.random() < 0.3
                        else None,
                        "Phone": self.phone(state) if rng.random() < 0.7 else None,
                        "Fax": self.phone(state) if rng.random() < 0.05 else None,
                        "Mobile": self.mobile() if person and rng.random() < 0.8 else None,
                        "Email": email,
                        "Website": website,
                        "Notes": self.pick(NOTES) if rng.random() < 0.2 else None,
                        "IsArchived": 1 if rng.random() < 0.06 else 0,
                        "CreatedAt": created.isoformat(sep=" "),
                        "ModifiedAt": modified.isoformat(sep=" "),
                        "RowVer": next(self.versions),
                    },
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
                rows.append((contact_id, FIELD_IDS[name], value, next(self.versions)))
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

    def build(self) -> GeneratedRows:
        employees, settings = self.employees()
        contacts, kinds, info = self.contacts(employees)
        addresses = self.addresses(info)
        extra_fields = self.extra_fields(info)
        relationships = self.relationships(kinds)
        return GeneratedRows(
            employees=employees,
            settings=settings,
            contacts=contacts,
            addresses=addresses,
            extra_fields=extra_fields,
            relationships=relationships,
            last_row_version=next(self.versions) - 1,
        )
