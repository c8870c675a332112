-- Console sign-in sessions. Only a keyed digest of the cookie's token is kept, so a copy of the
-- database cannot be replayed as a session. `expires_at` is absolute; `last_seen_at` drives the
-- idle timeout. Rows of deleted users are refused by the server and purged with expired ones.
CREATE TABLE console_sessions (
    token_digest  TEXT   NOT NULL PRIMARY KEY,
    user_id       BIGINT NOT NULL,
    created_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX console_sessions_user ON console_sessions (user_id);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
