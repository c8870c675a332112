//! Console sessions: which system user a session cookie stands for, until when.
//!
//! The store sees only digests of session tokens (hex of the server's keyed digest); the
//! tokens themselves live in the browser's cookie.

use sqlx::Row;

use crate::{Store, StoreError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub user_key: i64,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

impl Store {
    pub async fn create_session(
        &self,
        token_digest: &str,
        user_key: i64,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO console_sessions (token_digest, user_id, created_at, last_seen_at, expires_at) \
             VALUES ($1, $2, $3, $3, $4)",
        )
        .bind(token_digest)
        .bind(user_key)
        .bind(now)
        .bind(expires_at)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn find_session(&self, token_digest: &str) -> Result<Option<SessionRow>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id, created_at, last_seen_at, expires_at FROM console_sessions WHERE token_digest = $1",
        )
        .bind(token_digest)
        .fetch_optional(self.pool())
        .await?;
        row.map(|r| {
            Ok(SessionRow {
                user_key: r.try_get("user_id")?,
                created_at: r.try_get("created_at")?,
                last_seen_at: r.try_get("last_seen_at")?,
                expires_at: r.try_get("expires_at")?,
            })
        })
        .transpose()
    }

    /// Records activity on a session (for the idle timeout).
    pub async fn touch_session(&self, token_digest: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE token_digest = $2")
            .bind(now)
            .bind(token_digest)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn delete_session(&self, token_digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM console_sessions WHERE token_digest = $1")
            .bind(token_digest)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Signs a user out everywhere (password changed, user deactivated or deleted).
    pub async fn delete_user_sessions(&self, user_key: i64) -> Result<u64, StoreError> {
        let done = sqlx::query("DELETE FROM console_sessions WHERE user_id = $1")
            .bind(user_key)
            .execute(self.pool())
            .await?;
        Ok(done.rows_affected())
    }

    /// Removes sessions past their absolute expiry or idle since `idle_cutoff`.
    pub async fn purge_sessions(&self, now: i64, idle_cutoff: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM console_sessions WHERE expires_at <= $1 OR last_seen_at <= $2",
        )
        .bind(now)
        .bind(idle_cutoff)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
