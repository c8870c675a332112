-- Custom roles shared by a reseller, and company groups. Keep in step with
-- ../postgres/0003_roles_and_groups.sql.

CREATE TABLE company_groups (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id      TEXT    NOT NULL UNIQUE,
    -- The reseller that owns the group; members are companies it manages.
    owner_company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name             TEXT    NOT NULL,
    create_time      INTEGER NOT NULL
);
CREATE INDEX company_groups_owner ON company_groups (owner_company_id);

CREATE TABLE company_group_members (
    group_id   INTEGER NOT NULL REFERENCES company_groups (id) ON DELETE CASCADE,
    company_id INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    added_time INTEGER NOT NULL,
    PRIMARY KEY (group_id, company_id)
);
CREATE INDEX company_group_members_company ON company_group_members (company_id);

-- "Make available for": a custom role offered to a company or to every company of a group.
CREATE TABLE role_availability (
    role_id     INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    -- 'Company' or 'CompanyGroup'
    target_type TEXT    NOT NULL,
    target_id   INTEGER NOT NULL,
    PRIMARY KEY (role_id, target_type, target_id)
);
CREATE INDEX role_availability_target ON role_availability (target_type, target_id);
