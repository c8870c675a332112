-- What a company search reads, in a narrow table of its own (see
-- ../postgres/0009_company_search.sql for why). Triggers keep it in the same transaction as
-- every write to `companies`; deletions follow through the foreign key's cascade. SQLite's LIKE
-- ignores ASCII case by itself, so there is no lower-cased copy of the name here.
CREATE TABLE company_search (
    id                         INTEGER PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    number_of_users            INTEGER NOT NULL,
    target_user_count          INTEGER NOT NULL,
    is_number_of_users_limited INTEGER NOT NULL,
    is_reseller                INTEGER NOT NULL,
    status_id                  INTEGER NOT NULL,
    create_time                INTEGER NOT NULL,
    path                       TEXT    NOT NULL,
    name                       TEXT    NOT NULL,
    resource_id                TEXT    NOT NULL,
    parent_id                  INTEGER,
    license_start_date         INTEGER,
    license_end_date           INTEGER,
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

CREATE TRIGGER company_search_insert AFTER INSERT ON companies
BEGIN
    INSERT INTO company_search (id, number_of_users, target_user_count, is_number_of_users_limited,
        is_reseller, status_id, create_time, path, name, resource_id, parent_id, license_start_date,
        license_end_date, industry_resource_id, country_resource_id, license_type_resource_id)
    VALUES (NEW.id, NEW.number_of_users, NEW.target_user_count, NEW.is_number_of_users_limited,
        NEW.is_reseller, NEW.status_id, NEW.create_time, NEW.path, NEW.name, NEW.resource_id,
        NEW.parent_id, NEW.license_start_date, NEW.license_end_date, NEW.industry_resource_id,
        NEW.country_resource_id, NEW.license_type_resource_id);
END;

CREATE TRIGGER company_search_update
AFTER UPDATE OF number_of_users, target_user_count, is_number_of_users_limited, is_reseller,
    status_id, create_time, path, name, resource_id, parent_id, license_start_date,
    license_end_date, industry_resource_id, country_resource_id, license_type_resource_id
ON companies
BEGIN
    UPDATE company_search SET
        number_of_users = NEW.number_of_users,
        target_user_count = NEW.target_user_count,
        is_number_of_users_limited = NEW.is_number_of_users_limited,
        is_reseller = NEW.is_reseller,
        status_id = NEW.status_id,
        create_time = NEW.create_time,
        path = NEW.path,
        name = NEW.name,
        resource_id = NEW.resource_id,
        parent_id = NEW.parent_id,
        license_start_date = NEW.license_start_date,
        license_end_date = NEW.license_end_date,
        industry_resource_id = NEW.industry_resource_id,
        country_resource_id = NEW.country_resource_id,
        license_type_resource_id = NEW.license_type_resource_id
    WHERE id = NEW.id;
END;
