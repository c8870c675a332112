//! Token signing keys. Private keys are stored sealed (the server seals and opens them; the store
//! only keeps bytes).

use latchkey_domain::audit::{Actor, Entry, Operation};
use latchkey_domain::authz::operator_scope;
use sqlx::{AnyConnection, Row};

use crate::audit::Write;

use crate::meta::{KEYS_REVISION, bump};
use crate::{Store, StoreError};

#[derive(Debug, Clone)]
pub struct StoredKey {
    pub kid: String,
    pub algorithm: String,
    pub sealed_private_key: Vec<u8>,
    pub public_jwk: String,
    pub created_at: i64,
    pub retired_at: Option<i64>,
}

/// What [`Store::revoke_signing_key`] removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revoked {
    /// A retired key: the active key is unchanged.
    Retired,
    /// The active key: the replacement now signs.
    ActiveReplaced,
}

/// Retires every active key at `key.created_at` and inserts `key` as the active one.
async fn activate(conn: &mut AnyConnection, key: &StoredKey) -> Result<(), StoreError> {
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(key.created_at)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, algorithm, private_key, public_jwk, created_at, retired_at) \
         VALUES ($1, $2, $3, $4, $5, NULL)",
    )
    .bind(key.kid.as_str())
    .bind(key.algorithm.as_str())
    .bind(key.sealed_private_key.clone())
    .bind(key.public_jwk.as_str())
    .bind(key.created_at)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

impl Store {
    /// Every key not yet pruned, newest first.
    pub async fn signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        let rows = sqlx::query(
            "SELECT kid, algorithm, private_key, public_jwk, created_at, retired_at \
             FROM signing_keys ORDER BY created_at DESC, kid",
        )
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredKey {
                    kid: r.try_get("kid")?,
                    algorithm: r.try_get("algorithm")?,
                    sealed_private_key: r.try_get("private_key")?,
                    public_jwk: r.try_get("public_jwk")?,
                    created_at: r.try_get("created_at")?,
                    retired_at: r.try_get("retired_at")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }

    /// A change of the signing keys, made by `actor`: keys are the platform's, so the
    /// platform root's log records it (before the first start has made the root, nothing can).
    async fn key_write(&self, actor: Actor) -> Result<Write, StoreError> {
        match self.root_company().await? {
            Some(root) => self.write(&operator_scope(root, actor)).await,
            None => self.housekeeping().await,
        }
    }

    /// Makes `key` the active key: every other active key is retired at `key.created_at`.
    pub async fn activate_signing_key(
        &self,
        actor: Actor,
        key: &StoredKey,
    ) -> Result<(), StoreError> {
        let mut tx = self.key_write(actor).await?;
        let recorded = tx.is_recorded();
        activate(&mut tx, key).await?;
        if recorded {
            tx.record(Entry::new(
                "SigningKey",
                key.kid.as_str(),
                Operation::Create,
                format!("Signing key {} ({}) rotated in", key.kid, key.algorithm),
            ));
        }
        bump(&mut *tx, KEYS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the key `kid` at once and bumps the keys revision, so running servers stop
    /// trusting it at their next reload. When it is the active key, `replacement` becomes
    /// active in the same transaction: no server is ever left without a key to sign with.
    /// Without a replacement, revoking the active key is refused and nothing changes.
    pub async fn revoke_signing_key(
        &self,
        actor: Actor,
        kid: &str,
        replacement: Option<&StoredKey>,
    ) -> Result<Revoked, StoreError> {
        let mut tx = self.key_write(actor).await?;
        let recorded = tx.is_recorded();
        // Deciding by the deleted row, not by an earlier read, keeps this right when a
        // rotation races it: a key only ever goes from active to retired.
        let row = sqlx::query("DELETE FROM signing_keys WHERE kid = $1 RETURNING retired_at")
            .bind(kid)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let retired_at: Option<i64> = row.try_get("retired_at")?;
        let revoked = match (retired_at, replacement) {
            (Some(_), _) => Revoked::Retired,
            (None, Some(key)) => {
                activate(&mut tx, key).await?;
                Revoked::ActiveReplaced
            }
            (None, None) => {
                return Err(StoreError::Refused(format!(
                    "{kid} is the active signing key: rotate first, or revoke it with a replacement"
                )));
            }
        };
        if recorded {
            tx.record(Entry::new(
                "SigningKey",
                kid,
                Operation::Delete,
                match (revoked, replacement) {
                    (Revoked::ActiveReplaced, Some(key)) => {
                        format!("Active signing key {kid} revoked; {} now signs", key.kid)
                    }
                    _ => format!("Retired signing key {kid} revoked"),
                },
            ));
        }
        bump(&mut *tx, KEYS_REVISION).await?;
        tx.commit().await?;
        Ok(revoked)
    }

    /// Removes keys retired before `cutoff`: no token they signed can still be valid. Servers
    /// have stopped trusting such keys on their own, so this bumps no revision.
    pub async fn prune_signing_keys(&self, cutoff: i64) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1",
        )
        .bind(cutoff)
        .execute(self.pool())
        .await?;
        Ok(done.rows_affected())
    }
}
