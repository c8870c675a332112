-- What a company search reads, in a narrow table of its own.
--
-- A substring filter cannot use an index, so a search reads every company of the caller's
-- subtree. PostgreSQL decodes a row's columns in order up to the last one a filter reads, and
-- `companies` is wide (its lower-cased name was column 38): decoding, not matching, was most of
-- a 10,000-company scan. This table holds only what a search filters on, orders by and shows,
-- fixed-width columns first. Triggers keep it in the same transaction as every write to
-- `companies`, so a search never sees a company other than as it is.
CREATE TABLE company_search (
    id                         BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    number_of_users            BIGINT NOT NULL,
    target_user_count          BIGINT NOT NULL,
    is_number_of_users_limited BIGINT NOT NULL,
    is_reseller                BIGINT NOT NULL,
    status_id                  BIGINT NOT NULL,
    create_time                BIGINT NOT NULL,
    path                       TEXT COLLATE "C" NOT NULL,
    name                       TEXT NOT NULL,
    name_folded                TEXT GENERATED ALWAYS AS (LOWER(name)) STORED,
    resource_id                TEXT NOT NULL,
    parent_id                  BIGINT,
    license_start_date         BIGINT,
    license_end_date           BIGINT,
    industry_resource_id       TEXT,
    country_resource_id        TEXT,
    license_type_resource_id   TEXT
);
CREATE INDEX company_search_path ON company_search (path);

INSERT INTO company_search (id, number_of_users, target_user_count, is_number_of_users_limited,
    is_reseller, status_id, create_time, path, name, resource_id, parent_id, license_start_date,
    license_end_date, industry_resource_id, country_resource_id, license_type_resource_id)
SELECT id, number_of_users, target_user_count, is_number_of_users_limited, is_reseller, status_id,
    create_time, path, name, resource_id, parent_id, license_start_date, license_end_date,
    industry_resource_id, country_resource_id, license_type_resource_id
FROM companies;

CREATE FUNCTION company_search_put() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO company_search (id, number_of_users, target_user_count, is_number_of_users_limited,
        is_reseller, status_id, create_time, path, name, resource_id, parent_id, license_start_date,
        license_end_date, industry_resource_id, country_resource_id, license_type_resource_id)
    VALUES (NEW.id, NEW.number_of_users, NEW.target_user_count, NEW.is_number_of_users_limited,
        NEW.is_reseller, NEW.status_id, NEW.create_time, NEW.path, NEW.name, NEW.resource_id,
        NEW.parent_id, NEW.license_start_date, NEW.license_end_date, NEW.industry_resource_id,
        NEW.country_resource_id, NEW.license_type_resource_id)
    ON CONFLICT (id) DO UPDATE SET
        number_of_users = EXCLUDED.number_of_users,
        target_user_count = EXCLUDED.target_user_count,
        is_number_of_users_limited = EXCLUDED.is_number_of_users_limited,
        is_reseller = EXCLUDED.is_reseller,
        status_id = EXCLUDED.status_id,
        create_time = EXCLUDED.create_time,
        path = EXCLUDED.path,
        name = EXCLUDED.name,
        resource_id = EXCLUDED.resource_id,
        parent_id = EXCLUDED.parent_id,
        license_start_date = EXCLUDED.license_start_date,
        license_end_date = EXCLUDED.license_end_date,
        industry_resource_id = EXCLUDED.industry_resource_id,
        country_resource_id = EXCLUDED.country_resource_id,
        license_type_resource_id = EXCLUDED.license_type_resource_id;
    RETURN NULL;
END
$$;

-- Deletions follow through the foreign key's cascade.
CREATE TRIGGER company_search_put
AFTER INSERT OR UPDATE OF number_of_users, target_user_count, is_number_of_users_limited,
    is_reseller, status_id, create_time, path, name, resource_id, parent_id, license_start_date,
    license_end_date, industry_resource_id, country_resource_id, license_type_resource_id
ON companies FOR EACH ROW EXECUTE FUNCTION company_search_put();

-- The search reads its lower-cased names from company_search now (0006 added this copy).
ALTER TABLE companies DROP COLUMN name_folded;
