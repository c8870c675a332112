//! Roles. The built-in ones are rows too (seeded by the first migration under fixed resource
//! ids) so that clients reference every role the same way.

use latchkey_domain::role::BuiltInRole;
use sqlx::Row;

use crate::{Store, StoreError};

impl Store {
    /// The database key of a built-in role.
    pub async fn built_in_role_key(&self, role: BuiltInRole) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT id FROM roles WHERE resource_id = $1 AND is_system = 1")
            .bind(role.resource_id())
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| {
                StoreError::Corrupt(format!("built-in role {} is missing", role.name()))
            })?;
        Ok(row.try_get("id")?)
    }
}
