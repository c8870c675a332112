-- System users (the console's "People"), their roles, and one-time set-password links.
-- Keep in step with ../postgres/0007_system_users.sql.

CREATE TABLE system_users (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id         TEXT    NOT NULL UNIQUE,
    company_id          INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    first_name          TEXT    NOT NULL,
    last_name           TEXT    NOT NULL,
    -- As the user wrote it.
    email               TEXT    NOT NULL,
    -- The lower-cased email, computed by the server so that both backends fold case alike:
    -- the sign-in name, unique across the platform.
    email_folded        TEXT    NOT NULL UNIQUE,
    phone_number        TEXT,
    status_id           INTEGER NOT NULL,
    -- Argon2id PHC string; NULL until the user sets a password through a one-time link.
    password_hash       TEXT,
    password_changed_at INTEGER,
    -- Consecutive wrong passwords; at five the account is locked until `locked_until`.
    failed_sign_ins     INTEGER NOT NULL DEFAULT 0,
    locked_until        INTEGER,
    last_sign_in_at     INTEGER,
    -- Display settings (`/api/system-users/settings`); NULL means the company's.
    time_zone_id        TEXT,
    date_format         TEXT,
    time_format         TEXT,
    create_time         INTEGER NOT NULL,
    update_time         INTEGER NOT NULL
);
CREATE INDEX system_users_company ON system_users (company_id);
CREATE INDEX system_users_create_time ON system_users (create_time);

CREATE TABLE system_user_roles (
    user_id INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    role_id INTEGER NOT NULL REFERENCES roles (id),
    PRIMARY KEY (user_id, role_id)
);
CREATE INDEX system_user_roles_role ON system_user_roles (role_id);

-- A set-password link's token is shown only in the link; the table holds its keyed digest
-- (HMAC-SHA256 under the server key). A row is deleted when it is used.
CREATE TABLE password_tokens (
    digest      BLOB    PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES system_users (id) ON DELETE CASCADE,
    -- 'create' or 'reset'
    purpose     TEXT    NOT NULL,
    expires_at  INTEGER NOT NULL,
    create_time INTEGER NOT NULL
);
CREATE INDEX password_tokens_user ON password_tokens (user_id);
