-- A company's logo, uploaded as the company form's `File` and served by
-- GET /api/companies/{resourceId}/logo. The server admits at most 1 MiB of PNG, JPEG, GIF or
-- WebP, recognized by content rather than by file name; deleting the company deletes it.
CREATE TABLE company_logos (
    company_id  BIGINT PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    file_name   TEXT   NOT NULL,
    content     BYTEA  NOT NULL,
    update_time BIGINT NOT NULL
);
