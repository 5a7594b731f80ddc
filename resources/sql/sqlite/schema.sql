-- Contacts Migration reference practice schema, SQLite dialect.
--
-- The real vendor schema (MYOB AE/AO on SQL Server) is not public; this is the reference
-- one the project tests against. Types are the nearest SQLite storage classes: text for
-- nvarchar/char/date/datetime2 (dates as ISO 8601 text, which SQLite's date functions
-- understand and which keeps "20240501"-like values from being turned into numbers by
-- numeric affinity), INTEGER for int/bit.
--
-- Row versions (RowVer)
-- ---------------------
-- SQL Server's rowversion is emulated with ONE database-wide counter (RowVersionCounter,
-- a single row) that triggers raise on every insert and update of a versioned table and
-- copy into the row's RowVer. Because the database does it, programs that write plain
-- SQL keep RowVer right without knowing about it. SQLite serialises writers, so the
-- counter's committed value is a safe watermark: every version <= it is committed.
--
-- DESIGN DECISION: deleting a child row (ContactAddress, ContactExtraField,
-- ContactRelationship) changes the owning contact's document without touching any row
-- that survives, so a change scan by RowVer would never see it. Each child table has a
-- delete trigger that "touches" the owning Contact row (SET RowVer = RowVer), which
-- fires Contact's update trigger and gives the contact a fresh version. When the
-- contact itself is being deleted (ON DELETE CASCADE) that update finds no row and does
-- nothing. Moving a child to another contact (updating its ContactID) touches the old
-- owner the same way.
--
-- The update triggers only fire when RowVer was not changed by the statement itself
-- (WHEN NEW.RowVer IS OLD.RowVer): that stops them re-firing for their own update even
-- with PRAGMA recursive_triggers=ON, and stops the insert trigger's update from taking a
-- second version.
--
-- Foreign keys (and therefore the cascades) only work on connections that run
-- PRAGMA foreign_keys = ON; every connection this program opens does.
--
-- Loading: statements are split with sqlite3.complete_statement. The line
-- "-- @section triggers" separates the tables from the triggers so that a bulk load can
-- run without the per-row trigger cost and create the triggers afterwards.

CREATE TABLE Employee (
    EmployeeID INTEGER NOT NULL PRIMARY KEY,
    Code TEXT NOT NULL UNIQUE,
    FirstName TEXT NULL,
    LastName TEXT NULL,
    Email TEXT NULL,
    IsActive INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE PracticeSetting (
    Name TEXT NOT NULL PRIMARY KEY,
    Value TEXT NULL
);

CREATE TABLE RowVersionCounter (
    Id INTEGER NOT NULL PRIMARY KEY CHECK (Id = 1),
    Value INTEGER NOT NULL
);

INSERT INTO RowVersionCounter (Id, Value) VALUES (1, 0);

-- AUTOINCREMENT: like an identity, a deleted contact's id is never handed out again.
CREATE TABLE Contact (
    ContactID INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    Code TEXT NULL,
    ContactType TEXT NOT NULL,
    IsContact INTEGER NOT NULL DEFAULT 0,
    Title TEXT NULL,
    FirstName TEXT NULL,
    MiddleName TEXT NULL,
    LastName TEXT NULL,
    Suffix TEXT NULL,
    MainName TEXT NULL,
    OrganisationType TEXT NULL,
    Gender TEXT NULL,
    DateOfBirth TEXT NULL,
    TaxFileNumber TEXT NULL,
    Salutation TEXT NULL,
    Addressee TEXT NULL,
    PartnerID INTEGER NULL REFERENCES Employee (EmployeeID),
    ManagerID INTEGER NULL REFERENCES Employee (EmployeeID),
    Office TEXT NULL,
    Department TEXT NULL,
    FamilyGroup TEXT NULL,
    Phone TEXT NULL,
    Fax TEXT NULL,
    Mobile TEXT NULL,
    Email TEXT NULL,
    Website TEXT NULL,
    Notes TEXT NULL,
    IsArchived INTEGER NOT NULL DEFAULT 0,
    CreatedAt TEXT NULL,
    ModifiedAt TEXT NULL,
    RowVer INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX IX_Contact_RowVer ON Contact (RowVer);

CREATE TABLE ContactAddress (
    AddressID INTEGER NOT NULL PRIMARY KEY,
    ContactID INTEGER NOT NULL REFERENCES Contact (ContactID) ON DELETE CASCADE,
    AddressType TEXT NOT NULL,
    Line1 TEXT NULL,
    Line2 TEXT NULL,
    Line3 TEXT NULL,
    Suburb TEXT NULL,
    State TEXT NULL,
    Postcode TEXT NULL,
    Country TEXT NULL,
    IsPrimary INTEGER NOT NULL DEFAULT 0,
    RowVer INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX IX_ContactAddress_ContactID ON ContactAddress (ContactID);

CREATE INDEX IX_ContactAddress_RowVer ON ContactAddress (RowVer);

CREATE TABLE ExtraFieldDefinition (
    FieldID INTEGER NOT NULL PRIMARY KEY,
    Name TEXT NOT NULL UNIQUE,
    DataType TEXT NOT NULL
);

-- The primary key (ContactID, FieldID) is the ContactID index for this child table.
CREATE TABLE ContactExtraField (
    ContactID INTEGER NOT NULL REFERENCES Contact (ContactID) ON DELETE CASCADE,
    FieldID INTEGER NOT NULL REFERENCES ExtraFieldDefinition (FieldID),
    Value TEXT NULL,
    RowVer INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (ContactID, FieldID)
);

CREATE INDEX IX_ContactExtraField_RowVer ON ContactExtraField (RowVer);

CREATE TABLE ContactRelationship (
    RelationshipID INTEGER NOT NULL PRIMARY KEY,
    ContactID INTEGER NOT NULL REFERENCES Contact (ContactID) ON DELETE CASCADE,
    RelatedContactID INTEGER NOT NULL REFERENCES Contact (ContactID) ON DELETE CASCADE,
    Kind TEXT NOT NULL,
    StartDate TEXT NULL,
    EndDate TEXT NULL,
    RowVer INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX IX_ContactRelationship_ContactID ON ContactRelationship (ContactID);

-- Without it every contact delete would scan the table for the cascade.
CREATE INDEX IX_ContactRelationship_RelatedContactID ON ContactRelationship (RelatedContactID);

CREATE INDEX IX_ContactRelationship_RowVer ON ContactRelationship (RowVer);

-- @section triggers

-- Contact ------------------------------------------------------------------------------

CREATE TRIGGER Contact_RowVer_Insert AFTER INSERT ON Contact
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE Contact SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE ContactID = NEW.ContactID;
END;

CREATE TRIGGER Contact_RowVer_Update AFTER UPDATE ON Contact
WHEN NEW.RowVer IS OLD.RowVer
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE Contact SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE ContactID = NEW.ContactID;
END;

-- ContactAddress -----------------------------------------------------------------------

CREATE TRIGGER ContactAddress_RowVer_Insert AFTER INSERT ON ContactAddress
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE ContactAddress SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE AddressID = NEW.AddressID;
END;

CREATE TRIGGER ContactAddress_RowVer_Update AFTER UPDATE ON ContactAddress
WHEN NEW.RowVer IS OLD.RowVer
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE ContactAddress SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE AddressID = NEW.AddressID;
    UPDATE Contact SET RowVer = RowVer
    WHERE ContactID = OLD.ContactID AND OLD.ContactID IS NOT NEW.ContactID;
END;

CREATE TRIGGER ContactAddress_Delete_TouchContact AFTER DELETE ON ContactAddress
BEGIN
    UPDATE Contact SET RowVer = RowVer WHERE ContactID = OLD.ContactID;
END;

-- ContactExtraField --------------------------------------------------------------------

CREATE TRIGGER ContactExtraField_RowVer_Insert AFTER INSERT ON ContactExtraField
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE ContactExtraField SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE ContactID = NEW.ContactID AND FieldID = NEW.FieldID;
END;

CREATE TRIGGER ContactExtraField_RowVer_Update AFTER UPDATE ON ContactExtraField
WHEN NEW.RowVer IS OLD.RowVer
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE ContactExtraField SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE ContactID = NEW.ContactID AND FieldID = NEW.FieldID;
    UPDATE Contact SET RowVer = RowVer
    WHERE ContactID = OLD.ContactID AND OLD.ContactID IS NOT NEW.ContactID;
END;

CREATE TRIGGER ContactExtraField_Delete_TouchContact AFTER DELETE ON ContactExtraField
BEGIN
    UPDATE Contact SET RowVer = RowVer WHERE ContactID = OLD.ContactID;
END;

-- ContactRelationship ------------------------------------------------------------------
-- A relationship belongs to the document of its ContactID only; RelatedContactID is a
-- reference, so changing it changes only the owner's document.

CREATE TRIGGER ContactRelationship_RowVer_Insert AFTER INSERT ON ContactRelationship
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE ContactRelationship SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE RelationshipID = NEW.RelationshipID;
END;

CREATE TRIGGER ContactRelationship_RowVer_Update AFTER UPDATE ON ContactRelationship
WHEN NEW.RowVer IS OLD.RowVer
BEGIN
    UPDATE RowVersionCounter SET Value = Value + 1 WHERE Id = 1;
    UPDATE ContactRelationship SET RowVer = (SELECT Value FROM RowVersionCounter WHERE Id = 1)
    WHERE RelationshipID = NEW.RelationshipID;
    UPDATE Contact SET RowVer = RowVer
    WHERE ContactID = OLD.ContactID AND OLD.ContactID IS NOT NEW.ContactID;
END;

CREATE TRIGGER ContactRelationship_Delete_TouchContact AFTER DELETE ON ContactRelationship
BEGIN
    UPDATE Contact SET RowVer = RowVer WHERE ContactID = OLD.ContactID;
END;
