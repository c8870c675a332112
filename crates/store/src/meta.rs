//! Small named values, and revision counters.
//!
//! A revision counter is bumped in the same transaction as a change that running servers must
//! see (a client deactivated by the admin CLI, a key rotated). Servers poll the counters, so a
//! change made by another process or replica reaches them within one poll interval.

use std::sync::Arc;
use std::time::Duration;

use sqlx::{Any, Executor, Row};
use tokio::sync::Notify;

use crate::{Backend, Store, StoreError};

/// The channel PostgreSQL notifies on when a revision counter moves (migration 0005).
const CHANNEL: &str = "latchkey_changes";

/// Bumped whenever something that authenticates API clients changes.
pub const CLIENTS_REVISION: &str = "clients_revision";
/// Bumped whenever the signing keys change.
pub const KEYS_REVISION: &str = "keys_revision";

pub(crate) async fn bump<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    name: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO meta (key, value) VALUES ($1, '1') \
         ON CONFLICT (key) DO UPDATE SET value = CAST(CAST(meta.value AS BIGINT) + 1 AS TEXT)",
    )
    .bind(name)
    .execute(executor)
    .await?;
    Ok(())
}

impl Store {
    pub async fn meta_get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT value FROM meta WHERE key = $1")
            .bind(key)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some(r.try_get("value")?),
            None => None,
        })
    }

    pub async fn meta_set(&self, key: &str, value: &str) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO meta (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Both revision counters in one round trip: `(clients, keys)`.
    pub async fn revisions(&self) -> Result<(i64, i64), StoreError> {
        let rows = sqlx::query("SELECT key, value FROM meta WHERE key = $1 OR key = $2")
            .bind(CLIENTS_REVISION)
            .bind(KEYS_REVISION)
            .fetch_all(self.pool())
            .await?;
        let (mut clients, mut keys) = (0, 0);
        for row in rows {
            let key: String = row.try_get("key")?;
            let value: String = row.try_get("value")?;
            let value = value.parse().unwrap_or(0);
            if key == CLIENTS_REVISION {
                clients = value;
            } else {
                keys = value;
            }
        }
        Ok((clients, keys))
    }

    /// Marks client data as changed, for changes made outside [`Store`]'s own functions.
    pub async fn bump_clients_revision(&self) -> Result<(), StoreError> {
        bump(self.pool(), CLIENTS_REVISION).await
    }
}

impl Store {
    /// On PostgreSQL, starts a task that LISTENs for change notifications from other replicas
    /// (and this one) and wakes `changed` for each, reconnecting after failures; every
    /// (re)connection also wakes it once, to catch up on what was missed. `None` on SQLite,
    /// whose processes follow changes by polling.
    pub fn spawn_change_listener(
        &self,
        changed: Arc<Notify>,
    ) -> Option<tokio::task::JoinHandle<()>> {
        if self.backend != Backend::Postgres {
            return None;
        }
        let url = self.url.clone();
        Some(tokio::spawn(async move {
            loop {
                match sqlx::postgres::PgListener::connect(&url).await {
                    Ok(mut listener) => match listener.listen(CHANNEL).await {
                        Ok(()) => {
                            changed.notify_one();
                            loop {
                                match listener.recv().await {
                                    Ok(_) => changed.notify_one(),
                                    Err(e) => {
                                        tracing::warn!(error = %e, "change listener lost its connection");
                                        break;
                                    }
                                }
                            }
                        }
                        Err(e) => tracing::warn!(error = %e, "could not LISTEN for changes"),
                    },
                    Err(e) => tracing::warn!(error = %e, "change listener could not connect"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }))
    }
}
