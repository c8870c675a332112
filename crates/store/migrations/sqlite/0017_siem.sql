-- SIEM integrations: where a company's audit log is forwarded, and each one's outbox cursor.
-- Keep in step with ../postgres/0017_siem.sql.
--
--   type_id    1 Splunk HEC, 2 Syslog
--   status_id  1 Active, 0 Inactive (paused; the cursor stays where it is)
CREATE TABLE siem_settings (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id     TEXT    NOT NULL UNIQUE,
    company_id      INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    -- LOWER(name) computed by the server, so that both backends fold case alike.
    name_folded     TEXT    NOT NULL,
    type_id         INTEGER NOT NULL,
    status_id       INTEGER NOT NULL,
    forward_history INTEGER NOT NULL,
    api_url         TEXT,
    -- The HEC token, sealed with the master key (it must be sent, so it cannot be a digest).
    token_sealed    BLOB,
    server_address  TEXT,
    port            INTEGER,
    connection_type TEXT,
    ca_pem          TEXT,
    cef_vendor      TEXT    NOT NULL,
    cef_product     TEXT    NOT NULL,
    create_time     INTEGER NOT NULL,
    update_time     INTEGER NOT NULL
);
CREATE UNIQUE INDEX siem_settings_company_name ON siem_settings (company_id, name_folded);

-- The outbox cursor of each destination, apart from its settings: delivering is bookkeeping
-- that writes no audit record (a record about delivering records would never end).
--
-- `delivered_seq` is the last record of the company's chain sent to the destination, and
-- `confirmed_seq` the last one that is sure to have arrived: a syslog write can succeed into
-- buffers that a dying receiver never reads, so a record counts as confirmed only once the
-- server has written to the receiver for a while after it without a failure. A server that
-- takes a destination over (after a crash) resumes after `confirmed_seq`. A company's records
-- get their sequence numbers in commit order (writers take turns on the chain's head), so a
-- cursor on them never skips a record that commits late.
-- One server at a time delivers a destination: the one whose lease has not run out.
CREATE TABLE siem_deliveries (
    setting_id         INTEGER PRIMARY KEY REFERENCES siem_settings (id) ON DELETE CASCADE,
    company_id         INTEGER NOT NULL,
    delivered_seq      INTEGER NOT NULL,
    confirmed_seq      INTEGER NOT NULL,
    delivered_count    INTEGER NOT NULL DEFAULT 0,
    last_delivery_time INTEGER,
    failed_attempts    INTEGER NOT NULL DEFAULT 0,
    last_error         TEXT,
    last_error_time    INTEGER,
    next_attempt_time  INTEGER,
    lease_owner        TEXT,
    lease_expires      INTEGER NOT NULL DEFAULT 0
);
