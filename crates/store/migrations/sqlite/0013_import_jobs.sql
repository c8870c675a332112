-- Durable jobs, and the spreadsheet imports that run as jobs. Keep in step with
-- ../postgres/0013_import_jobs.sql.
--
-- A job is a row: whoever claims it (one server) holds a lease until `lease_expires` and
-- renews it while the job runs; a lease left to expire means the server died, and the job is
-- taken back (resumed) or, after too many attempts, ended with the reason.
--   status  0 Idle (queued), 1 Running, 2 Finished, 3 FinishedWithError

CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id   TEXT    NOT NULL UNIQUE,
    company_id    INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    -- What runs it (`target-user-mapping`, `target-user-import`), and its name on the wire.
    kind          TEXT    NOT NULL,
    name          TEXT    NOT NULL,
    -- The job's input as JSON, written once.
    input         TEXT    NOT NULL,
    status        INTEGER NOT NULL DEFAULT 0,
    -- The server holding the job, and until when; NULL while nobody does.
    lease_owner   TEXT,
    lease_expires INTEGER,
    -- Claims so far: a job cut short more than a few times is ended, not retried forever.
    attempts      INTEGER NOT NULL DEFAULT 0,
    error_message TEXT,
    create_time   INTEGER NOT NULL,
    start_time    INTEGER,
    end_time      INTEGER,
    update_time   INTEGER NOT NULL
);
CREATE INDEX jobs_company ON jobs (company_id, create_time);
-- What the claim and the reclaim look for: queued jobs, and running ones whose lease ran out.
CREATE INDEX jobs_runnable ON jobs (status, lease_expires);

-- The steps of a job (`processResults`) with their counts.
--   step  1 Target User Add/Update, 2 Target User Group Add/Update,
--         3 Target User Custom Field Add/Update, 4 Target User Mapping
CREATE TABLE job_steps (
    job_id        INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    step          INTEGER NOT NULL,
    name          TEXT    NOT NULL,
    current_count INTEGER NOT NULL DEFAULT 0,
    target_count  INTEGER NOT NULL DEFAULT 0,
    create_time   INTEGER NOT NULL,
    end_time      INTEGER,
    PRIMARY KEY (job_id, step)
);

-- What went wrong with one input of a step (`processErrors`): a row of an import, with the
-- row as it came.
CREATE TABLE job_errors (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id        INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
    step          INTEGER NOT NULL,
    error_message TEXT    NOT NULL,
    input_data    TEXT
);
CREATE INDEX job_errors_job ON job_errors (job_id, step);

-- An uploaded spreadsheet (`transactionId`), kept until `expire_time`.
CREATE TABLE import_transactions (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id     TEXT    NOT NULL UNIQUE,
    company_id      INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    -- Csv, Xlsx or Xls.
    file_type       TEXT    NOT NULL,
    -- JSON: [{"name", "headers": [...], "rowCount"}] for each sheet, in the file's order.
    sheets          TEXT    NOT NULL,
    -- Of the first sheet, the one target users are read from.
    row_count       INTEGER NOT NULL,
    column_count    INTEGER NOT NULL,
    duplicate_count INTEGER NOT NULL,
    -- Set by create-mapping: the mapping as JSON, and the job that applies it.
    mapping         TEXT,
    mapping_job_id  INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    -- The import job, once one was started: one import per transaction at a time.
    import_job_id   INTEGER REFERENCES jobs (id) ON DELETE SET NULL,
    new_count       INTEGER NOT NULL DEFAULT 0,
    existing_count  INTEGER NOT NULL DEFAULT 0,
    invalid_count   INTEGER NOT NULL DEFAULT 0,
    create_time     INTEGER NOT NULL,
    expire_time     INTEGER NOT NULL
);
CREATE INDEX import_transactions_company ON import_transactions (company_id);
CREATE INDEX import_transactions_expiry ON import_transactions (expire_time);

-- The file's rows as they came: one JSON array of cell texts per row, under the sheet's
-- headers. `row_number` is the spreadsheet's (the header is row 1).
CREATE TABLE import_rows (
    transaction_id INTEGER NOT NULL REFERENCES import_transactions (id) ON DELETE CASCADE,
    sheet          INTEGER NOT NULL,
    row_number     INTEGER NOT NULL,
    cells          TEXT    NOT NULL,
    PRIMARY KEY (transaction_id, sheet, row_number)
);

-- The rows of the first sheet read through the mapping: the preview of an import.
--   status  1 New, 2 Exists (a live user of the company has the email), 3 Error
-- Fields hold the file's text as mapped; the import validates them again when it writes.
CREATE TABLE import_users (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    resource_id           TEXT    NOT NULL UNIQUE,
    transaction_id        INTEGER NOT NULL REFERENCES import_transactions (id) ON DELETE CASCADE,
    row_number            INTEGER NOT NULL,
    status                INTEGER NOT NULL,
    email                 TEXT,
    email_folded          TEXT,
    first_name            TEXT,
    last_name             TEXT,
    department            TEXT,
    phone_number          TEXT,
    priority              TEXT,
    time_zone             TEXT,
    preferred_language    TEXT,
    manager_first_name    TEXT,
    manager_last_name     TEXT,
    manager_email         TEXT,
    -- JSON [{"resourceId", "name", "dataType", "value"}] of the mapped custom fields.
    custom_fields         TEXT    NOT NULL DEFAULT '[]',
    -- JSON [{"fieldName", "message"}]: why the row is an Error.
    validation            TEXT    NOT NULL DEFAULT '[]',
    -- When an import wrote the row; a re-run import skips it.
    import_time           INTEGER,
    create_time           INTEGER NOT NULL,
    update_time           INTEGER NOT NULL
);
CREATE INDEX import_users_transaction ON import_users (transaction_id, row_number);
CREATE INDEX import_users_email ON import_users (transaction_id, email_folded);
