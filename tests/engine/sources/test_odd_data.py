"""Odd data arrives online exactly as stored, or is set aside with a stated reason."""

from __future__ import annotations

from tests.engine.conftest import EngineFactory, PracticeDb, activate
from tests.sandbox_harness import RunningSandbox

ODD_TEXT = [
    "",  # empty, not NULL
    "  padded  ",
    "Ōtautahi Māori Café — naïve façade",
    "مرحبا بالعالم",  # right-to-left
    "שלום \u202eevil\u202c",
    "🧾📇👩‍👩‍👧‍👦 emoji with ZWJ",
    "tab\tnew\nline\rcarriage and DEL\x7f",
    "nul\x00 and other controls\x01\x1f",  # set aside: the service refuses them
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 astral 𠜎",
    "n" * 1_000_000,  # 1 MB of notes
]


async def test_odd_values_arrive_byte_for_byte(
    make_engine: EngineFactory, practice: PracticeDb, sandbox: RunningSandbox
) -> None:
    db = practice.desktop()
    columns = ["Title", "FirstName", "LastName", "Notes", "Email", "Salutation"]
    texts = [text if practice.allows_nul_in_text else text.replace("\x00", "") for text in ODD_TEXT]
    for offset, text in enumerate(texts):
        contact = 100 + offset
        column = "Notes" if len(text) > 10_000 else columns[offset % len(columns)]
        if column == "Title" and len(text) > 20 and practice.enforces_lengths:
            column = "Notes"  # Title is varchar(20)
        db.execute(f'UPDATE "Contact" SET "{column}" = ? WHERE "ContactID" = ?', (text, contact))
    # NULL in every nullable column of one contact, and dates at the limits.
    nullable = [
        "Code",
        "Title",
        "FirstName",
        "MiddleName",
        "LastName",
        "Suffix",
        "MainName",
        "OrganisationType",
        "Gender",
        "DateOfBirth",
        "TaxFileNumber",
        "Salutation",
        "Addressee",
        "PartnerID",
        "ManagerID",
        "Office",
        "Department",
        "FamilyGroup",
        "Phone",
        "Fax",
        "Mobile",
        "Email",
        "Website",
        "Notes",
        "CreatedAt",
        "ModifiedAt",
    ]
    assignments = ", ".join(f'"{name}" = NULL' for name in nullable)
    db.execute(f'UPDATE "Contact" SET {assignments} WHERE "ContactID" = 150')
    db.execute('UPDATE "Contact" SET "DateOfBirth" = \'0001-01-01\' WHERE "ContactID" = 151')
    db.execute('UPDATE "Contact" SET "DateOfBirth" = \'9999-12-31\' WHERE "ContactID" = 152')
    if practice.keeps_invalid_dates:  # a date column elsewhere refuses it
        db.execute('UPDATE "Contact" SET "DateOfBirth" = \'31/02/1980\' WHERE "ContactID" = 153')
    db.close()

    engine = make_engine(batch_bytes=3_000_000)
    await activate(engine)
    status = await engine.sync_once()
    # text with control characters (other than tab and line breaks) and a date that is
    # no date are set aside, each with the field it is about; all the rest arrives
    refused = {100 + ODD_TEXT.index("nul\x00 and other controls\x01\x1f")}
    if practice.keeps_invalid_dates:
        refused.add(153)
    reasons = {item.contact_id: item.reason for item in status.set_aside}
    assert set(reasons) == refused, reasons
    assert "control character" in reasons[min(refused)]
    if practice.keeps_invalid_dates:
        assert "date_of_birth must be a date" in reasons[153]
    report = await engine.verify()
    assert set(report.lost) == refused and not (report.stale or report.extra)

    source = practice.open_source()
    try:
        wanted = {int(doc["id"]): doc for doc in source.read_documents(list(range(100, 154)))}
    finally:
        source.close()
    with sandbox.client("sync", timeout=30) as api:  # read withholds TFNs
        for contact, doc in wanted.items():
            online = api.get(f"/contacts/{contact}")
            if contact in refused:
                assert online.status_code == 404
            else:
                assert online.json() == doc
    for offset, text in enumerate(texts):
        assert text in wanted[100 + offset].values()
    assert wanted[150]["first_name"] is None and wanted[150]["partner"] is None
    assert wanted[151]["date_of_birth"] == "0001-01-01"
    assert wanted[152]["date_of_birth"] == "9999-12-31"
    if practice.keeps_invalid_dates:
        assert wanted[153]["date_of_birth"] == "31/02/1980"  # carried as stored, not "fixed"
