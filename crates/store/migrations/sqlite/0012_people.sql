-- The people the platform exists for: target users, target groups and the custom fields a
-- company defines for them. Keep in step with ../postgres/0012_people.sql.
--
-- Enumerations are stored as small integers and named on the wire:
--   priority   1 VeryLow, 2 Low, 3 Medium, 4 High, 5 VeryHigh
--   status_id  1 Active, 0 Inactive, 2 Deleted (a deleted user stays readable; its email is
--              free again for a new user)

CREATE TABLE target_groups (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id     TEXT    NOT NULL UNIQUE,
    company_id      INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    -- LOWER(name) computed by the server, so that both backends fold case alike.
    name_folded     TEXT    NOT NULL,
    priority        INTEGER NOT NULL DEFAULT 3,
    is_active       INTEGER NOT NULL DEFAULT 1,
    -- Groups pushed by an identity provider (SCIM) or a directory sync.
    is_scim_group   INTEGER NOT NULL DEFAULT 0,
    is_google_group INTEGER NOT NULL DEFAULT 0,
    -- Groups the platform keeps by itself (`systemGeneratedGroups`, `isCreatedBySystem`).
    is_system       INTEGER NOT NULL DEFAULT 0,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL
);
CREATE UNIQUE INDEX target_groups_company_name ON target_groups (company_id, name_folded);
CREATE INDEX target_groups_create_time ON target_groups (company_id, create_time);

CREATE TABLE target_users (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id           TEXT    NOT NULL UNIQUE,
    company_id            INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    -- As written; `email_folded` is its lower-cased form, computed by the server.
    email                 TEXT    NOT NULL,
    email_folded          TEXT    NOT NULL,
    first_name            TEXT,
    last_name             TEXT,
    department            TEXT,
    phone_number          TEXT,
    priority              INTEGER NOT NULL DEFAULT 3,
    status_id             INTEGER NOT NULL DEFAULT 1,
    -- An id of `GET /api/timezone/timezones`.
    time_zone_id          TEXT,
    -- The resource id of a PreferredLanguageType lookup.
    preferred_language_id TEXT,
    manager_first_name    TEXT,
    manager_last_name     TEXT,
    manager_email         TEXT,
    create_time           INTEGER NOT NULL,
    update_time           INTEGER NOT NULL,
    delete_time           INTEGER
);
-- One live user per email and company, ignoring case; deleted users keep their row.
CREATE UNIQUE INDEX target_users_company_email ON target_users (company_id, email_folded)
    WHERE status_id <> 2;
CREATE INDEX target_users_company_create_time ON target_users (company_id, create_time);
CREATE INDEX target_users_company_status ON target_users (company_id, status_id);

CREATE TABLE target_group_members (
    group_id   INTEGER NOT NULL REFERENCES target_groups (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES target_users (id) ON DELETE CASCADE,
    added_time INTEGER NOT NULL,
    PRIMARY KEY (group_id, user_id)
);
CREATE INDEX target_group_members_user ON target_group_members (user_id);

-- Custom fields: typed attributes a company adds to its target users (owner type 1,
-- TargetUser) or to the users of one target group (owner type 2, TargetGroup).
--   data_type  1 Text, 2 Number, 3 Date, 4 Boolean
CREATE TABLE custom_fields (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id     TEXT    NOT NULL UNIQUE,
    company_id      INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    owner_type      INTEGER NOT NULL,
    target_group_id INTEGER REFERENCES target_groups (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    name_folded     TEXT    NOT NULL,
    data_type       INTEGER NOT NULL,
    is_active       INTEGER NOT NULL DEFAULT 1,
    is_required     INTEGER NOT NULL DEFAULT 0,
    sort_order      INTEGER NOT NULL DEFAULT 0,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL
);
CREATE UNIQUE INDEX custom_fields_company_name ON custom_fields (company_id, name_folded);

-- A user's value of a custom field, in its canonical text form (numbers as written by the
-- server, dates as RFC 3339, booleans as true/false); validated against the field's type.
CREATE TABLE target_user_field_values (
    user_id  INTEGER NOT NULL REFERENCES target_users (id) ON DELETE CASCADE,
    field_id INTEGER NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    value    TEXT    NOT NULL,
    PRIMARY KEY (user_id, field_id)
);
CREATE INDEX target_user_field_values_field ON target_user_field_values (field_id);
