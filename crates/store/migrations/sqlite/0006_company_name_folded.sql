-- PostgreSQL keeps a lower-cased copy of company names for case-insensitive search (see
-- ../postgres/0006_company_name_folded.sql). SQLite's LIKE ignores ASCII case by itself and
-- its scans were measured faster without a copy; nothing to create here.
SELECT 1;
