-- A company's logo (see ../postgres/0011_company_logos.sql).
CREATE TABLE company_logos (
    company_id  INTEGER PRIMARY KEY REFERENCES companies (id) ON DELETE CASCADE,
    file_name   TEXT    NOT NULL,
    content     BLOB    NOT NULL,
    update_time INTEGER NOT NULL
);
