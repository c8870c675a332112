-- Latchkey schema, SQLite flavour. Keep in step with ../postgres/0001_init.sql: same tables,
-- same columns, same names. Only INTEGER, TEXT and BLOB are used so that one set of queries
-- runs on both backends; times are Unix milliseconds, flags are 0/1.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE companies (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id TEXT    NOT NULL UNIQUE,
    parent_id   INTEGER REFERENCES companies (id),
    -- ids from the root down to this company, '/1/2/7/': a subtree is a path prefix.
    path        TEXT    NOT NULL DEFAULT '',
    name        TEXT    NOT NULL,
    is_reseller INTEGER NOT NULL DEFAULT 0,
    is_root     INTEGER NOT NULL DEFAULT 0,
    description TEXT,
    industry_name TEXT,
    logo_url    TEXT,
    status_id   INTEGER NOT NULL DEFAULT 1,
    create_time INTEGER NOT NULL,
    update_time INTEGER NOT NULL
);
CREATE INDEX companies_parent ON companies (parent_id);
CREATE INDEX companies_path ON companies (path);
-- One platform root, even when two replicas bootstrap an empty database at once.
CREATE UNIQUE INDEX companies_single_root ON companies (is_root) WHERE is_root = 1;

CREATE TABLE roles (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id TEXT    NOT NULL UNIQUE,
    -- NULL for the built-in system roles.
    company_id  INTEGER REFERENCES companies (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL,
    is_system   INTEGER NOT NULL DEFAULT 0,
    create_time INTEGER NOT NULL
);
CREATE INDEX roles_company ON roles (company_id);

CREATE TABLE role_permissions (
    role_id        INTEGER NOT NULL REFERENCES roles (id) ON DELETE CASCADE,
    permission_key TEXT    NOT NULL,
    PRIMARY KEY (role_id, permission_key)
);

INSERT INTO roles (resource_id, company_id, name, description, is_system, create_time)
VALUES ('RoleCompAdmn', NULL, 'Company Admin', 'Manages its own company', 1, 0),
       ('RoleReseller', NULL, 'Reseller', 'Manages its own company and every company under it', 1, 0);

CREATE TABLE api_clients (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id        TEXT    NOT NULL UNIQUE,
    company_id         INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name               TEXT    NOT NULL,
    client_id          TEXT    NOT NULL UNIQUE,
    -- HMAC-SHA256 of the secret under the server key; the secret itself is never stored.
    secret_digest      BLOB    NOT NULL,
    status_id          INTEGER NOT NULL,
    has_ip_restriction INTEGER NOT NULL DEFAULT 0,
    -- JSON array of addresses and CIDR ranges.
    allowed_ips        TEXT    NOT NULL DEFAULT '[]',
    create_time        INTEGER NOT NULL,
    update_time        INTEGER NOT NULL
);
CREATE INDEX api_clients_company ON api_clients (company_id);

CREATE TABLE api_client_roles (
    client_id INTEGER NOT NULL REFERENCES api_clients (id) ON DELETE CASCADE,
    role_id   INTEGER NOT NULL REFERENCES roles (id),
    PRIMARY KEY (client_id, role_id)
);
CREATE INDEX api_client_roles_role ON api_client_roles (role_id);

CREATE TABLE signing_keys (
    kid         TEXT    PRIMARY KEY,
    algorithm   TEXT    NOT NULL,
    -- PKCS#8 DER, sealed with AES-256-GCM under the server key (nonce || ciphertext || tag).
    private_key BLOB    NOT NULL,
    public_jwk  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    -- Set when a newer key takes over; the key stays published until no token it signed is valid.
    retired_at  INTEGER
);
