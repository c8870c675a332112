-- The audit log: one record per change, written in the change's transaction, never changed or
-- deleted. Keep in step with ../postgres/0015_audit_log.sql.
--
-- No foreign key to companies: records outlive what they describe, the company included.
--   actor_kind  Client, User, Admin, System
--   operation   0 Create, 1 Update, 2 Delete, 3 CreateMany, 4 UpdateMany, 5 DeleteMany
--
-- Each record carries `seq`, its place in its company's chain, and `hash`, SHA-256 over the
-- previous record's hash and every field of this one (see latchkey_domain::audit::chain_hash).
CREATE TABLE audit_logs (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id        TEXT    NOT NULL UNIQUE,
    company_id         INTEGER NOT NULL,
    seq                INTEGER NOT NULL,
    log_time           INTEGER NOT NULL,
    actor_kind         TEXT    NOT NULL,
    user_key           INTEGER NOT NULL,
    user_name          TEXT    NOT NULL,
    entity_name        TEXT    NOT NULL,
    entity_resource_id TEXT    NOT NULL,
    operation          INTEGER NOT NULL,
    old_value          TEXT,
    new_value          TEXT,
    ip                 TEXT,
    user_agent         TEXT,
    description        TEXT    NOT NULL,
    prev_hash          TEXT    NOT NULL,
    hash               TEXT    NOT NULL
);
CREATE UNIQUE INDEX audit_logs_chain ON audit_logs (company_id, seq);
CREATE INDEX audit_logs_time ON audit_logs (company_id, log_time);

-- The head of each company's chain. A writer updates it before appending, which on PostgreSQL
-- locks the row until commit: writers of one company append one after the other, so no two
-- records claim the same place (on SQLite the write transaction serializes them anyway).
CREATE TABLE audit_chain_heads (
    company_id INTEGER NOT NULL PRIMARY KEY,
    seq        INTEGER NOT NULL,
    hash       TEXT    NOT NULL
);

-- Refused token requests of a known client are recorded once per client and minute, so
-- that an attack cannot flood the log: a row here says that minute's record is written
-- (by any replica). Rows older than an hour are purged.
CREATE TABLE audit_refusals (
    client_key INTEGER NOT NULL,
    minute     INTEGER NOT NULL,
    PRIMARY KEY (client_key, minute)
);

-- No path of the server changes or deletes a record; the database refuses it as well.
CREATE TRIGGER audit_logs_no_update BEFORE UPDATE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit records cannot be changed');
END;
CREATE TRIGGER audit_logs_no_delete BEFORE DELETE ON audit_logs
BEGIN
    SELECT RAISE(ABORT, 'audit records cannot be deleted');
END;
