-- Search over a million target users without a scan, and the target-user counts company search
-- shows. Keep in step with ../sqlite/0014_search_indexes.sql.
--
-- `Contains`, `EndsWith` and free text are `LOWER(column) LIKE '%…%'` (or the same on a
-- lower-cased copy such as `email_folded`), which no b-tree serves: trigram indexes (pg_trgm,
-- GIN) do, for patterns of three characters or more. Shorter ones have no trigram and are left
-- to a scan, which the planner chooses by itself because such a search is planned for its
-- values (`Params::plan_per_run` in crates/store/src/search.rs). The indexed expressions are
-- exactly those the search writes, so an index changes how rows are found, never which.
-- pg_trgm is a trusted extension: the database's owner, or any role with CREATE on it, may
-- install it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- The search compares the email by `email_folded`, the server's lower-cased copy.
CREATE INDEX target_users_email_trgm ON target_users USING gin (email_folded gin_trgm_ops);
CREATE INDEX target_users_first_name_trgm ON target_users USING gin (LOWER(first_name) gin_trgm_ops);
CREATE INDEX target_users_last_name_trgm ON target_users USING gin (LOWER(last_name) gin_trgm_ops);
CREATE INDEX target_users_department_trgm ON target_users USING gin (LOWER(department) gin_trgm_ops);

-- `=` and `StartsWith` on the email. `text_pattern_ops` compares by bytes, which is what lets
-- `LIKE 'prefix%'` use a b-tree under any collation.
CREATE INDEX target_users_company_email_prefix ON target_users (company_id, email_folded text_pattern_ops);

-- Counts per company that company search shows beside `target_user_count` (the live users,
-- which the write path of target users keeps with the licence): Inactive and Deleted users in
-- `company_search`, and the Active users per calendar month (UTC) of their last change in
-- `target_user_months`, so that a search over 10,000 companies shows them without counting a
-- million users. Triggers keep them in the same transaction as every change of a user.
ALTER TABLE company_search ADD COLUMN inactive_target_user_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE company_search ADD COLUMN deleted_target_user_count BIGINT NOT NULL DEFAULT 0;
-- The children of the resellers on a page of company search.
CREATE INDEX company_search_parent ON company_search (parent_id);

CREATE TABLE target_user_months (
    company_id   BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    -- Unix milliseconds of the first instant of the month, UTC.
    month        BIGINT NOT NULL,
    active_count BIGINT NOT NULL,
    PRIMARY KEY (company_id, month)
);

-- The month (Unix ms of its first instant, UTC) of a time in Unix ms.
CREATE FUNCTION utc_month_start(millis BIGINT) RETURNS BIGINT LANGUAGE sql IMMUTABLE AS $$
    SELECT (EXTRACT(EPOCH FROM date_trunc('month', to_timestamp(millis / 1000.0) AT TIME ZONE 'UTC')) * 1000)::BIGINT
$$;

UPDATE company_search s SET
    inactive_target_user_count = n.inactive, deleted_target_user_count = n.deleted
FROM (SELECT company_id,
        COUNT(*) FILTER (WHERE status_id = 0) AS inactive,
        COUNT(*) FILTER (WHERE status_id = 2) AS deleted
      FROM target_users GROUP BY company_id) n
WHERE s.id = n.company_id;

INSERT INTO target_user_months (company_id, month, active_count)
SELECT company_id, utc_month_start(GREATEST(create_time, update_time)), COUNT(*)
FROM target_users WHERE status_id = 1 GROUP BY 1, 2;

-- Statement triggers: one counter update per company and statement, not per user. PostgreSQL
-- writes a new version of a row at each update and cannot prune the versions a transaction
-- made while it runs, so updates of one row within one transaction grow quadratic: a row
-- trigger bumping a counter per user took 4 s to insert 20,000 users in one statement, 21 s
-- for 40,000 and 139 s for 80,000 (0.34 s without it). Here a statement of any size costs two
-- small updates; a transaction of many single-user statements still costs one each, which
-- stays small at the write path's batches (the import writes 1,000 users a transaction).
--
-- `changes` is the statement's effect, one row per user gained (+1) or lost (-1); the
-- transition tables are only visible to the trigger's own statements, hence the dynamic SQL.
CREATE FUNCTION target_user_counts() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changes TEXT := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT company_id, status_id, create_time, update_time, 1 AS sign FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT company_id, status_id, create_time, update_time, -1 AS sign FROM old_rows'
        ELSE 'SELECT company_id, status_id, create_time, update_time, -1 AS sign FROM old_rows '
             'UNION ALL SELECT company_id, status_id, create_time, update_time, 1 FROM new_rows'
    END;
BEGIN
    EXECUTE format($sql$
        UPDATE company_search s SET
            inactive_target_user_count = s.inactive_target_user_count + d.inactive,
            deleted_target_user_count = s.deleted_target_user_count + d.deleted
        FROM (SELECT company_id,
                COALESCE(SUM(sign) FILTER (WHERE status_id = 0), 0) AS inactive,
                COALESCE(SUM(sign) FILTER (WHERE status_id = 2), 0) AS deleted
              FROM (%s) c GROUP BY company_id) d
        WHERE s.id = d.company_id AND (d.inactive <> 0 OR d.deleted <> 0)
    $sql$, changes);
    -- Only companies that still exist: the cascade of a company's deletion removes its users
    -- after the company itself.
    EXECUTE format($sql$
        INSERT INTO target_user_months AS m (company_id, month, active_count)
        SELECT company_id, month, delta FROM (
            SELECT company_id, utc_month_start(GREATEST(create_time, update_time)) AS month, SUM(sign) AS delta
            FROM (%s) c WHERE status_id = 1 GROUP BY 1, 2) d
        WHERE delta <> 0 AND EXISTS (SELECT 1 FROM companies WHERE id = d.company_id)
        ON CONFLICT (company_id, month) DO UPDATE SET active_count = m.active_count + EXCLUDED.active_count
    $sql$, changes);
    RETURN NULL;
END
$$;

CREATE TRIGGER target_users_count_insert AFTER INSERT ON target_users
REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION target_user_counts();
CREATE TRIGGER target_users_count_update AFTER UPDATE ON target_users
REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION target_user_counts();
CREATE TRIGGER target_users_count_delete AFTER DELETE ON target_users
REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION target_user_counts();
