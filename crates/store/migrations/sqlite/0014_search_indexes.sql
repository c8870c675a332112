-- Search over a million target users without a scan, and the target-user counts company search
-- shows. Keep in step with ../postgres/0014_search_indexes.sql (which says why for both).

-- Substring search: an FTS5 index of trigrams over the text fields free-text search reads. It
-- holds no copy of the text (external content: `target_users` is read when a row is checked)
-- and no per-row sizes (`columnsize=0`: nothing here ranks). Trigrams ignore case by Unicode's
-- folding, wider than SQLite's ASCII-only `LIKE`, so what the index finds is a superset that
-- the search narrows with its ordinary condition (`crates/store/src/search.rs`).
CREATE VIRTUAL TABLE target_users_text USING fts5(
    email, first_name, last_name, department,
    content = 'target_users', content_rowid = 'id', tokenize = 'trigram', columnsize = 0
);
INSERT INTO target_users_text (target_users_text) VALUES ('rebuild');

CREATE TRIGGER target_users_text_insert AFTER INSERT ON target_users
BEGIN
    INSERT INTO target_users_text (rowid, email, first_name, last_name, department)
    VALUES (NEW.id, NEW.email, NEW.first_name, NEW.last_name, NEW.department);
END;

CREATE TRIGGER target_users_text_delete AFTER DELETE ON target_users
BEGIN
    INSERT INTO target_users_text (target_users_text, rowid, email, first_name, last_name, department)
    VALUES ('delete', OLD.id, OLD.email, OLD.first_name, OLD.last_name, OLD.department);
END;

CREATE TRIGGER target_users_text_update AFTER UPDATE OF email, first_name, last_name, department
ON target_users
BEGIN
    INSERT INTO target_users_text (target_users_text, rowid, email, first_name, last_name, department)
    VALUES ('delete', OLD.id, OLD.email, OLD.first_name, OLD.last_name, OLD.department);
    INSERT INTO target_users_text (rowid, email, first_name, last_name, department)
    VALUES (NEW.id, NEW.email, NEW.first_name, NEW.last_name, NEW.department);
END;

-- `=` and `StartsWith` on the email: SQLite's `LIKE 'prefix%'` and `= … COLLATE NOCASE` use an
-- index only with its ASCII-folding collation.
CREATE INDEX target_users_company_email_nocase ON target_users (company_id, email COLLATE NOCASE);

-- Counts per company that company search shows beside `target_user_count` (the live users,
-- which the write path of target users keeps with the licence): Inactive and Deleted users in
-- `company_search`, and the Active users per calendar month (UTC) of their last change in
-- `target_user_months`. Triggers keep them in the same transaction as every change of a user.
ALTER TABLE company_search ADD COLUMN inactive_target_user_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE company_search ADD COLUMN deleted_target_user_count INTEGER NOT NULL DEFAULT 0;
-- The children of the resellers on a page of company search.
CREATE INDEX company_search_parent ON company_search (parent_id);

CREATE TABLE target_user_months (
    company_id   INTEGER NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    -- Unix milliseconds of the first instant of the month, UTC.
    month        INTEGER NOT NULL,
    active_count INTEGER NOT NULL,
    PRIMARY KEY (company_id, month)
);

UPDATE company_search SET
    inactive_target_user_count = (SELECT COUNT(*) FROM target_users t
        WHERE t.company_id = company_search.id AND t.status_id = 0),
    deleted_target_user_count = (SELECT COUNT(*) FROM target_users t
        WHERE t.company_id = company_search.id AND t.status_id = 2);

INSERT INTO target_user_months (company_id, month, active_count)
SELECT company_id,
    CAST(strftime('%s', MAX(create_time, update_time) / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000 AS m,
    COUNT(*)
FROM target_users WHERE status_id = 1 GROUP BY company_id, m;

-- Row triggers: SQLite updates a row in place, so a counter touched once per user costs a
-- few microseconds however many users one transaction writes.
CREATE TRIGGER target_users_count_insert AFTER INSERT ON target_users
BEGIN
    UPDATE company_search SET
        inactive_target_user_count = inactive_target_user_count + (NEW.status_id = 0),
        deleted_target_user_count = deleted_target_user_count + (NEW.status_id = 2)
    WHERE id = NEW.company_id AND NEW.status_id IN (0, 2);
    INSERT INTO target_user_months (company_id, month, active_count)
    SELECT NEW.company_id,
        CAST(strftime('%s', MAX(NEW.create_time, NEW.update_time) / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000,
        1
    WHERE NEW.status_id = 1
    ON CONFLICT (company_id, month) DO UPDATE SET active_count = active_count + 1;
END;

-- A removed user was counted, so its month row exists: only ever decremented, never inserted
-- (which would also break the foreign key while the company itself is being deleted).
CREATE TRIGGER target_users_count_delete AFTER DELETE ON target_users
BEGIN
    UPDATE company_search SET
        inactive_target_user_count = inactive_target_user_count - (OLD.status_id = 0),
        deleted_target_user_count = deleted_target_user_count - (OLD.status_id = 2)
    WHERE id = OLD.company_id AND OLD.status_id IN (0, 2);
    UPDATE target_user_months SET active_count = active_count - 1
    WHERE OLD.status_id = 1 AND company_id = OLD.company_id
        AND month = CAST(strftime('%s', MAX(OLD.create_time, OLD.update_time) / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000;
END;

CREATE TRIGGER target_users_count_update
AFTER UPDATE OF company_id, status_id, create_time, update_time ON target_users
BEGIN
    UPDATE company_search SET
        inactive_target_user_count = inactive_target_user_count - (OLD.status_id = 0),
        deleted_target_user_count = deleted_target_user_count - (OLD.status_id = 2)
    WHERE id = OLD.company_id AND OLD.status_id IN (0, 2);
    UPDATE company_search SET
        inactive_target_user_count = inactive_target_user_count + (NEW.status_id = 0),
        deleted_target_user_count = deleted_target_user_count + (NEW.status_id = 2)
    WHERE id = NEW.company_id AND NEW.status_id IN (0, 2);
    UPDATE target_user_months SET active_count = active_count - 1
    WHERE OLD.status_id = 1 AND company_id = OLD.company_id
        AND month = CAST(strftime('%s', MAX(OLD.create_time, OLD.update_time) / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000;
    INSERT INTO target_user_months (company_id, month, active_count)
    SELECT NEW.company_id,
        CAST(strftime('%s', MAX(NEW.create_time, NEW.update_time) / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000,
        1
    WHERE NEW.status_id = 1
    ON CONFLICT (company_id, month) DO UPDATE SET active_count = active_count + 1;
END;
