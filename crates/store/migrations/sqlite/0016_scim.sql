-- SCIM 2.0 provisioning: a company's integrations (one bearer token each), their field
-- mappings, and what the SCIM service keeps beside the target users and target groups it
-- provisions. Keep in step with ../postgres/0015_scim.sql.

CREATE TABLE scim_integrations (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id         TEXT    NOT NULL UNIQUE,
    company_id          INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name                TEXT    NOT NULL,
    -- LOWER(name) computed by the server, so that both backends fold case alike.
    name_folded         TEXT    NOT NULL,
    -- Where provisioned users land; none: under People.
    target_group_id     INTEGER REFERENCES target_groups (id) ON DELETE SET NULL,
    sync_platform_group INTEGER NOT NULL DEFAULT 0,
    -- The keyed digest of the current bearer token (32 bytes); the token itself is shown once.
    token_digest        BLOB    NOT NULL,
    create_time         INTEGER NOT NULL,
    update_time         INTEGER NOT NULL
);
CREATE UNIQUE INDEX scim_integrations_company_name ON scim_integrations (company_id, name_folded);

-- An IdP attribute (a SCIM path of GET /api/scim/fields) written to a custom field.
CREATE TABLE scim_field_mappings (
    integration_id INTEGER NOT NULL REFERENCES scim_integrations (id) ON DELETE CASCADE,
    scim_path      TEXT    NOT NULL,
    field_id       INTEGER NOT NULL REFERENCES custom_fields (id) ON DELETE CASCADE,
    PRIMARY KEY (integration_id, scim_path)
);

-- A provisioned target user: its SCIM userName (unique in the company, ignoring case), its
-- externalId, and the SCIM attributes that have no target-user column (JSON).
CREATE TABLE scim_users (
    user_id          INTEGER PRIMARY KEY REFERENCES target_users (id) ON DELETE CASCADE,
    company_id       INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    integration_id   INTEGER REFERENCES scim_integrations (id) ON DELETE SET NULL,
    user_name        TEXT    NOT NULL,
    user_name_folded TEXT    NOT NULL,
    external_id      TEXT,
    document         TEXT    NOT NULL,
    create_time      INTEGER NOT NULL,
    update_time      INTEGER NOT NULL
);
CREATE UNIQUE INDEX scim_users_company_user_name ON scim_users (company_id, user_name_folded);
CREATE INDEX scim_users_company_external_id ON scim_users (company_id, external_id);

-- A target group pushed by an identity provider (`is_scim_group`).
CREATE TABLE scim_groups (
    group_id       INTEGER PRIMARY KEY REFERENCES target_groups (id) ON DELETE CASCADE,
    company_id     INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    integration_id INTEGER REFERENCES scim_integrations (id) ON DELETE SET NULL,
    external_id    TEXT,
    create_time    INTEGER NOT NULL,
    update_time    INTEGER NOT NULL
);
CREATE INDEX scim_groups_company ON scim_groups (company_id);
