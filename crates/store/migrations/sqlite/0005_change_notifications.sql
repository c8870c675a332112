-- PostgreSQL notifies replicas of changes (see ../postgres/0005_change_notifications.sql).
-- An SQLite database is shared only by processes on one machine (the server and the admin
-- CLI), which follow changes by polling the revision counters; nothing to create here.
SELECT 1;
