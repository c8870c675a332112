-- Company profile and licence fields (the company form of the contract). Keep in step with
-- ../sqlite/0004_company_details.sql. Reference fields hold lookup resource ids; dates are Unix ms.

ALTER TABLE companies ADD COLUMN address TEXT;
ALTER TABLE companies ADD COLUMN website_url TEXT;
ALTER TABLE companies ADD COLUMN industry_resource_id TEXT;
ALTER TABLE companies ADD COLUMN country_resource_id TEXT;
ALTER TABLE companies ADD COLUMN license_type_resource_id TEXT;
ALTER TABLE companies ADD COLUMN license_period_type_resource_id TEXT;
ALTER TABLE companies ADD COLUMN number_of_users BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN is_number_of_users_limited BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN license_start_date BIGINT;
ALTER TABLE companies ADD COLUMN license_end_date BIGINT;
ALTER TABLE companies ADD COLUMN time_zone_id TEXT;
ALTER TABLE companies ADD COLUMN date_format TEXT;
ALTER TABLE companies ADD COLUMN time_format TEXT;
ALTER TABLE companies ADD COLUMN notification_template_type_resource_id TEXT;
ALTER TABLE companies ADD COLUMN training_content_type_resource_id TEXT;
ALTER TABLE companies ADD COLUMN smtp_configuration_type_resource_id TEXT;
ALTER TABLE companies ADD COLUMN preferred_language_type_resource_id TEXT;
ALTER TABLE companies ADD COLUMN is_version_visible BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN is_release_notes_visible BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN release_notes_url TEXT;
ALTER TABLE companies ADD COLUMN base_man_hour_cost BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN base_man_hour BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN call_back_number_booking_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE companies ADD COLUMN target_user_count BIGINT NOT NULL DEFAULT 0;

CREATE TABLE company_license_modules (
    company_id         BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    module_resource_id TEXT    NOT NULL,
    PRIMARY KEY (company_id, module_resource_id)
);

CREATE TABLE company_tags (
    company_id BIGINT NOT NULL REFERENCES companies (id) ON DELETE CASCADE,
    tag        TEXT    NOT NULL,
    PRIMARY KEY (company_id, tag)
);

CREATE INDEX companies_create_time ON companies (create_time);
CREATE INDEX companies_name ON companies (name);
