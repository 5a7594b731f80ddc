"""The words and kinds generated practices are made of: Australian names, places,
businesses, and the reference schema's address, extra-field and relationship kinds."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Final

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
#: Extra-field name → FieldID.
FIELD_IDS: Final = {name: field_id for field_id, name, _ in EXTRA_FIELDS}

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
