-- Contacts Migration reference practice schema, SQL Server dialect.
--
-- Batches are separated by GO lines (as sqlcmd and SSMS read them; the program's
-- loader splits on them too). The line "-- @section triggers" separates the tables
-- from the triggers.
--
-- RowVer is a real rowversion: SQL Server raises it on every insert and update from one
-- database-wide counter, and MIN_ACTIVE_ROWVERSION() gives the watermark.
--
-- Deleted child rows: on SQLite and PostgreSQL the reference schema adds triggers that
-- touch the owning Contact when an address, extra field or relationship is deleted (see
-- their schema.sql). The real vendor schema on SQL Server can't be assumed to have such
-- triggers, so none is added here: the engine must not rely on them on SQL Server.
--
-- ContactRelationship has two foreign keys to Contact. SQL Server refuses two cascading
-- paths from one table to another ("may cause cycles or multiple cascade paths"), so
-- RelatedContactID has no cascade of its own; an INSTEAD OF DELETE trigger on Contact
-- removes the relationships that point at a deleted contact first, which gives the same
-- result as ON DELETE CASCADE on both columns.

CREATE TABLE dbo.Employee (
    EmployeeID int NOT NULL CONSTRAINT PK_Employee PRIMARY KEY,
    Code nvarchar(10) NOT NULL CONSTRAINT UQ_Employee_Code UNIQUE,
    FirstName nvarchar(50) NULL,
    LastName nvarchar(50) NULL,
    Email nvarchar(254) NULL,
    IsActive bit NOT NULL CONSTRAINT DF_Employee_IsActive DEFAULT 1
);
GO

CREATE TABLE dbo.PracticeSetting (
    Name nvarchar(100) NOT NULL CONSTRAINT PK_PracticeSetting PRIMARY KEY,
    Value nvarchar(max) NULL
);
GO

CREATE TABLE dbo.Contact (
    ContactID int IDENTITY(1, 1) NOT NULL CONSTRAINT PK_Contact PRIMARY KEY,
    Code nvarchar(10) NULL,
    ContactType char(1) NOT NULL,
    IsContact bit NOT NULL CONSTRAINT DF_Contact_IsContact DEFAULT 0,
    Title nvarchar(20) NULL,
    FirstName nvarchar(50) NULL,
    MiddleName nvarchar(50) NULL,
    LastName nvarchar(100) NULL,
    Suffix nvarchar(20) NULL,
    MainName nvarchar(200) NULL,
    OrganisationType nvarchar(30) NULL,
    Gender char(1) NULL,
    DateOfBirth date NULL,
    TaxFileNumber varchar(11) NULL,
    Salutation nvarchar(100) NULL,
    Addressee nvarchar(200) NULL,
    PartnerID int NULL CONSTRAINT FK_Contact_Partner REFERENCES dbo.Employee (EmployeeID),
    ManagerID int NULL CONSTRAINT FK_Contact_Manager REFERENCES dbo.Employee (EmployeeID),
    Office nvarchar(50) NULL,
    Department nvarchar(50) NULL,
    FamilyGroup nvarchar(50) NULL,
    Phone nvarchar(30) NULL,
    Fax nvarchar(30) NULL,
    Mobile nvarchar(30) NULL,
    Email nvarchar(254) NULL,
    Website nvarchar(200) NULL,
    Notes nvarchar(max) NULL,
    IsArchived bit NOT NULL CONSTRAINT DF_Contact_IsArchived DEFAULT 0,
    CreatedAt datetime2 NULL,
    ModifiedAt datetime2 NULL,
    RowVer rowversion NOT NULL
);
GO

CREATE INDEX IX_Contact_RowVer ON dbo.Contact (RowVer);
GO

CREATE TABLE dbo.ContactAddress (
    AddressID int IDENTITY(1, 1) NOT NULL CONSTRAINT PK_ContactAddress PRIMARY KEY,
    ContactID int NOT NULL CONSTRAINT FK_ContactAddress_Contact
        REFERENCES dbo.Contact (ContactID) ON DELETE CASCADE,
    AddressType nvarchar(20) NOT NULL,
    Line1 nvarchar(100) NULL,
    Line2 nvarchar(100) NULL,
    Line3 nvarchar(100) NULL,
    Suburb nvarchar(60) NULL,
    State nvarchar(30) NULL,
    Postcode nvarchar(10) NULL,
    Country nvarchar(60) NULL,
    IsPrimary bit NOT NULL CONSTRAINT DF_ContactAddress_IsPrimary DEFAULT 0,
    RowVer rowversion NOT NULL
);
GO

CREATE INDEX IX_ContactAddress_ContactID ON dbo.ContactAddress (ContactID);
GO

CREATE INDEX IX_ContactAddress_RowVer ON dbo.ContactAddress (RowVer);
GO

CREATE TABLE dbo.ExtraFieldDefinition (
    FieldID int IDENTITY(1, 1) NOT NULL CONSTRAINT PK_ExtraFieldDefinition PRIMARY KEY,
    Name nvarchar(30) NOT NULL CONSTRAINT UQ_ExtraFieldDefinition_Name UNIQUE,
    DataType nvarchar(10) NOT NULL
);
GO

-- The primary key (ContactID, FieldID) is the ContactID index for this child table.
CREATE TABLE dbo.ContactExtraField (
    ContactID int NOT NULL CONSTRAINT FK_ContactExtraField_Contact
        REFERENCES dbo.Contact (ContactID) ON DELETE CASCADE,
    FieldID int NOT NULL CONSTRAINT FK_ContactExtraField_Definition
        REFERENCES dbo.ExtraFieldDefinition (FieldID),
    Value nvarchar(4000) NULL,
    RowVer rowversion NOT NULL,
    CONSTRAINT PK_ContactExtraField PRIMARY KEY (ContactID, FieldID)
);
GO

CREATE INDEX IX_ContactExtraField_RowVer ON dbo.ContactExtraField (RowVer);
GO

CREATE TABLE dbo.ContactRelationship (
    RelationshipID int IDENTITY(1, 1) NOT NULL CONSTRAINT PK_ContactRelationship PRIMARY KEY,
    ContactID int NOT NULL CONSTRAINT FK_ContactRelationship_Contact
        REFERENCES dbo.Contact (ContactID) ON DELETE CASCADE,
    -- No cascade here (multiple cascade paths): see Contact_Delete below.
    RelatedContactID int NOT NULL CONSTRAINT FK_ContactRelationship_Related
        REFERENCES dbo.Contact (ContactID),
    Kind nvarchar(50) NOT NULL,
    StartDate date NULL,
    EndDate date NULL,
    RowVer rowversion NOT NULL
);
GO

CREATE INDEX IX_ContactRelationship_ContactID ON dbo.ContactRelationship (ContactID);
GO

CREATE INDEX IX_ContactRelationship_RelatedContactID ON dbo.ContactRelationship (RelatedContactID);
GO

CREATE INDEX IX_ContactRelationship_RowVer ON dbo.ContactRelationship (RowVer);
GO

-- @section triggers

-- Deleting a contact also deletes the relationships that point at it (the cascade the
-- RelatedContactID foreign key can't have), then the contact (whose own children go by
-- ON DELETE CASCADE).
CREATE TRIGGER dbo.Contact_Delete ON dbo.Contact INSTEAD OF DELETE
AS
BEGIN
    SET NOCOUNT ON;
    DELETE r FROM dbo.ContactRelationship AS r
        INNER JOIN deleted AS d ON r.RelatedContactID = d.ContactID;
    DELETE c FROM dbo.Contact AS c
        INNER JOIN deleted AS d ON c.ContactID = d.ContactID;
END;
GO
