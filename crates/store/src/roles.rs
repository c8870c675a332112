//! Roles. The built-in ones are rows too (seeded by the first migration under fixed resource
//! ids) so that clients reference every role the same way.

use latchkey_domain::authz::CompanyRef;
use latchkey_domain::role::BuiltInRole;
use sqlx::Row;

use crate::{Store, StoreError, flag};

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

/// A role as offered to a company.
#[derive(Debug, Clone)]
pub struct AvailableRole {
    pub key: i64,
    pub resource_id: String,
    pub name: String,
    pub is_system: bool,
}

impl Store {
    /// The roles a company's clients may be given: `Company Admin`; `Reseller` when the company
    /// resells; and the custom roles it owns.
    pub async fn available_roles(
        &self,
        company: &CompanyRef,
    ) -> Result<Vec<AvailableRole>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, resource_id, name, is_system FROM roles \
             WHERE (is_system = 1 AND (resource_id <> $1 OR $2 = 1)) OR company_id = $3 \
             ORDER BY is_system DESC, name",
        )
        .bind(BuiltInRole::Reseller.resource_id())
        .bind(i64::from(company.is_reseller))
        .bind(company.id)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AvailableRole {
                    key: r.try_get("id")?,
                    resource_id: r.try_get("resource_id")?,
                    name: r.try_get("name")?,
                    is_system: flag(r.try_get("is_system")?),
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}
