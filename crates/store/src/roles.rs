//! Roles. The built-in ones are rows too (seeded by the first migration under fixed resource
//! ids) so that clients reference every role the same way.

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::{CompanyRef, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::role::BuiltInRole;
use latchkey_domain::time::now_millis;
use latchkey_proto::search::SearchRequest;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::companies::{company_ref, reach_condition};
use crate::meta::{CLIENTS_REVISION, bump};
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
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

/// Who a shared role is offered to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetType {
    Company,
    CompanyGroup,
}

impl TargetType {
    pub fn as_str(self) -> &'static str {
        match self {
            TargetType::Company => "Company",
            TargetType::CompanyGroup => "CompanyGroup",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "company" | "1" => Some(TargetType::Company),
            "companygroup" | "group" | "2" => Some(TargetType::CompanyGroup),
            _ => None,
        }
    }
}

/// One "make available for" entry.
#[derive(Debug, Clone)]
pub struct Availability {
    pub target_type: TargetType,
    pub target_key: i64,
    pub target_resource_id: String,
    pub target_name: String,
}

/// A role with everything `GET /api/roles/{id}` shows.
#[derive(Debug, Clone)]
pub struct RoleRecord {
    pub key: i64,
    pub resource_id: String,
    /// `None` for built-in roles.
    pub owner: Option<CompanyRef>,
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub available_for: Vec<Availability>,
    pub create_time: i64,
}

/// A custom role's editable content.
#[derive(Debug, Clone)]
pub struct RoleInput {
    pub name: String,
    pub description: String,
    pub permissions: Vec<String>,
    pub available_for: Vec<(TargetType, i64)>,
}

/// A row of `POST /api/roles/search`.
#[derive(Debug, Clone)]
pub struct RoleSearchRow {
    pub resource_id: String,
    pub name: String,
    pub description: String,
    pub company_resource_id: Option<String>,
    pub company_name: Option<String>,
    pub create_time: i64,
    /// System users and REST API clients holding the role.
    pub holder_count: i64,
    /// Those of them in companies other than the role's owner (all of them for built-in roles).
    pub tenant_holder_count: i64,
    pub is_system: bool,
    pub owner_id: Option<i64>,
}

pub const ROLE_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Name", "r.name"),
        Field::text("RoleName", "r.name"),
        Field::text("Description", "r.description"),
        Field::text("RoleDescription", "r.description"),
        Field::text("CompanyName", "c.name"),
        Field::of("ResourceId", "r.resource_id", Kind::Text),
        Field::of("IsSystem", "r.is_system", Kind::Bool),
        Field::of("CreateTime", "r.create_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "r.id",
};

/// Roles offered to company `$n` by a reseller: directly, or through a group it is in.
fn shared_with(company: &str) -> String {
    format!(
        "SELECT ra.role_id FROM role_availability ra WHERE (ra.target_type = 'Company' AND ra.target_id = {company}) \
         OR (ra.target_type = 'CompanyGroup' AND ra.target_id IN \
             (SELECT m.group_id FROM company_group_members m WHERE m.company_id = {company}))"
    )
}

impl Store {
    /// The roles a company's clients may be given: `Company Admin`; `Reseller` when the company
    /// resells; the custom roles it owns; and those a reseller above it shared with it.
    pub async fn available_roles(
        &self,
        scope: &CompanyScope,
    ) -> Result<Vec<AvailableRole>, StoreError> {
        let company = scope.company();
        let sql = format!(
            "SELECT id, resource_id, name, is_system FROM roles \
             WHERE (is_system = 1 AND (resource_id <> $1 OR $2 = 1)) OR company_id = $3 OR id IN ({}) \
             ORDER BY is_system DESC, name",
            shared_with("$3")
        );
        let rows = sqlx::query(&sql)
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

    /// The custom roles a company owns, and the built-in ones.
    pub async fn own_roles(&self, scope: &CompanyScope) -> Result<Vec<AvailableRole>, StoreError> {
        let shared: Vec<i64> = {
            let sql = shared_with("$1");
            sqlx::query(&sql)
                .bind(scope.company_id())
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| r.try_get("role_id"))
                .collect::<Result<_, _>>()?
        };
        Ok(self
            .available_roles(scope)
            .await?
            .into_iter()
            .filter(|r| !shared.contains(&r.key))
            .collect())
    }

    pub async fn create_role(
        &self,
        scope: &CompanyScope,
        input: &RoleInput,
    ) -> Result<ResourceId, StoreError> {
        let resource_id = ResourceId::generate();
        let mut tx = self.write(scope).await?;
        let key: i64 = sqlx::query(
            "INSERT INTO roles (resource_id, company_id, name, description, is_system, create_time) \
             VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
        )
        .bind(resource_id.as_str())
        .bind(scope.company_id())
        .bind(input.name.as_str())
        .bind(input.description.as_str())
        .bind(now_millis())
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        write_role_content(&mut tx, key, input).await?;
        tx.record(
            Entry::new(
                "Role",
                resource_id.as_str(),
                Operation::Create,
                format!("Role '{}' created", input.name),
            )
            .new_state(role_state(input)),
        );
        tx.commit().await?;
        Ok(resource_id)
    }

    /// A role the caller may see: built-in, owned by a company in `reach`, or shared with the
    /// scope's company.
    pub async fn role_visible(
        &self,
        scope: &CompanyScope,
        reach: &Reach,
        role: &str,
    ) -> Result<Option<RoleRecord>, StoreError> {
        let mut params = Params::new(self.backend);
        let id = params.text(role);
        let within = reach_condition(reach, "c.path", &mut params);
        let me = params.int(scope.company_id());
        let sql = format!(
            "SELECT r.id AS role_key, r.resource_id AS role_resource_id, r.name AS role_name, r.description, \
             r.is_system, r.create_time AS role_create_time, c.id, c.resource_id, c.name, c.path, c.is_reseller \
             FROM roles r LEFT JOIN companies c ON c.id = r.company_id \
             WHERE r.resource_id = {id} AND (r.is_system = 1 OR ({within}) OR r.id IN ({}))",
            shared_with(&me)
        );
        let Some(row) = params
            .apply(sqlx::query(&sql))
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let key: i64 = row.try_get("role_key")?;
        let is_system = flag(row.try_get("is_system")?);
        let owner = if is_system {
            None
        } else {
            Some(company_ref(&row)?)
        };
        let permissions = sqlx::query("SELECT permission_key FROM role_permissions WHERE role_id = $1 ORDER BY permission_key")
            .bind(key)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.try_get("permission_key"))
            .collect::<Result<_, _>>()?;
        let available_for = sqlx::query(
            "SELECT ra.target_type, ra.target_id, \
             COALESCE(c.resource_id, g.resource_id) AS target_resource_id, COALESCE(c.name, g.name) AS target_name \
             FROM role_availability ra \
             LEFT JOIN companies c ON ra.target_type = 'Company' AND c.id = ra.target_id \
             LEFT JOIN company_groups g ON ra.target_type = 'CompanyGroup' AND g.id = ra.target_id \
             WHERE ra.role_id = $1 ORDER BY ra.target_type, ra.target_id",
        )
        .bind(key)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            let t: String = r.try_get("target_type")?;
            Ok(Availability {
                target_type: TargetType::parse(&t).unwrap_or(TargetType::Company),
                target_key: r.try_get("target_id")?,
                target_resource_id: r.try_get::<Option<String>, _>("target_resource_id")?.unwrap_or_default(),
                target_name: r.try_get::<Option<String>, _>("target_name")?.unwrap_or_default(),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
        Ok(Some(RoleRecord {
            key,
            resource_id: row.try_get("role_resource_id")?,
            owner,
            name: row.try_get("role_name")?,
            description: row.try_get("description")?,
            permissions,
            available_for,
            create_time: row.try_get("role_create_time")?,
        }))
    }

    /// Replaces a custom role's content. Clients holding it see the change on their next call.
    pub async fn update_role(
        &self,
        owner: &CompanyScope,
        role: &str,
        input: &RoleInput,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(owner).await?;
        let key: i64 = sqlx::query(
            "SELECT id FROM roles WHERE resource_id = $1 AND company_id = $2 AND is_system = 0",
        )
        .bind(role)
        .bind(owner.company_id())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("id")?;
        let old = stored_role_state(&mut tx, key).await?;
        tx.record(
            Entry::new(
                "Role",
                role,
                Operation::Update,
                format!("Role '{}' updated", input.name),
            )
            .old(old)
            .new_state(role_state(input)),
        );
        sqlx::query("UPDATE roles SET name = $1, description = $2 WHERE id = $3")
            .bind(input.name.as_str())
            .bind(input.description.as_str())
            .bind(key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM role_permissions WHERE role_id = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM role_availability WHERE role_id = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        write_role_content(&mut tx, key, input).await?;
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a custom role that no client holds.
    pub async fn delete_role(&self, owner: &CompanyScope, role: &str) -> Result<(), StoreError> {
        let mut tx = self.write(owner).await?;
        let key: i64 = sqlx::query(
            "SELECT id FROM roles WHERE resource_id = $1 AND company_id = $2 AND is_system = 0",
        )
        .bind(role)
        .bind(owner.company_id())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?
        .try_get("id")?;
        let holders: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM api_client_roles WHERE role_id = $1")
                .bind(key)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if holders > 0 {
            return Err(StoreError::Refused(format!(
                "The role is assigned to {holders} REST API client(s); remove it from them before deleting it"
            )));
        }
        let users: i64 =
            sqlx::query("SELECT COUNT(*) AS n FROM system_user_roles WHERE role_id = $1")
                .bind(key)
                .fetch_one(&mut *tx)
                .await?
                .try_get("n")?;
        if users > 0 {
            return Err(StoreError::Refused(format!(
                "The role is assigned to {users} user(s); remove it from them before deleting it"
            )));
        }
        let old = stored_role_state(&mut tx, key).await?;
        sqlx::query("DELETE FROM roles WHERE id = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.record(Entry::new("Role", role, Operation::Delete, "Role deleted").old(old));
        tx.commit().await?;
        Ok(())
    }

    /// One page of the roles visible to the scope's company within `reach`.
    pub async fn search_roles(
        &self,
        scope: &CompanyScope,
        reach: &Reach,
        request: &SearchRequest,
    ) -> Result<(Vec<RoleSearchRow>, i64, Compiled), StoreError> {
        let mut params = Params::new(self.backend);
        let within = reach_condition(reach, "c.path", &mut params);
        let me = params.int(scope.company_id());
        let shared = shared_with(&me);
        SearchQuery::new(
            &ROLE_SEARCH,
            request,
            params,
            "SELECT r.resource_id, r.name, r.description, r.is_system, r.create_time, r.company_id, \
             c.resource_id AS company_resource_id, c.name AS company_name, \
             (SELECT COUNT(*) FROM system_user_roles ur WHERE ur.role_id = r.id) \
               + (SELECT COUNT(*) FROM api_client_roles cr WHERE cr.role_id = r.id) AS holder_count, \
             (SELECT COUNT(*) FROM system_user_roles ur JOIN system_users u ON u.id = ur.user_id \
                WHERE ur.role_id = r.id AND u.company_id <> COALESCE(r.company_id, -1)) \
               + (SELECT COUNT(*) FROM api_client_roles cr JOIN api_clients a ON a.id = cr.client_id \
                WHERE cr.role_id = r.id AND a.company_id <> COALESCE(r.company_id, -1)) AS tenant_holder_count",
            |condition| {
                format!(
                    "FROM roles r LEFT JOIN companies c ON c.id = r.company_id \
                     WHERE (r.is_system = 1 OR ({within}) OR r.id IN ({shared})) AND {condition}"
                )
            },
            role_search_row,
        )?
        .page(self)
        .await
    }

    /// A company group owned by a company in `reach`, as a sharing target: its key and name.
    pub async fn group_in_reach(
        &self,
        reach: &Reach,
        group: &str,
    ) -> Result<Option<(i64, String)>, StoreError> {
        let mut params = Params::new(self.backend);
        let id = params.text(group);
        let within = reach_condition(reach, "c.path", &mut params);
        let sql = format!(
            "SELECT g.id, g.name FROM company_groups g JOIN companies c ON c.id = g.owner_company_id \
             WHERE g.resource_id = {id} AND {within}"
        );
        let row = params
            .apply(sqlx::query(&sql))
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => Some((r.try_get("id")?, r.try_get("name")?)),
            None => None,
        })
    }
}

/// A role as its audit records show it.
fn role_state(input: &RoleInput) -> serde_json::Value {
    serde_json::json!({
        "name": input.name,
        "description": input.description,
        "permissions": input.permissions,
        "availableForCount": input.available_for.len(),
    })
}

async fn stored_role_state(
    conn: &mut sqlx::AnyConnection,
    key: i64,
) -> Result<serde_json::Value, StoreError> {
    let row = sqlx::query("SELECT name, description FROM roles WHERE id = $1")
        .bind(key)
        .fetch_one(&mut *conn)
        .await?;
    let permissions = sqlx::query(
        "SELECT permission_key FROM role_permissions WHERE role_id = $1 ORDER BY permission_key",
    )
    .bind(key)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("permission_key"))
    .collect::<Result<Vec<_>, _>>()?;
    Ok(serde_json::json!({
        "name": row.try_get::<String, _>("name")?,
        "description": row.try_get::<String, _>("description")?,
        "permissions": permissions,
    }))
}

async fn write_role_content(
    tx: &mut AnyConnection,
    key: i64,
    input: &RoleInput,
) -> Result<(), StoreError> {
    for permission in &input.permissions {
        sqlx::query("INSERT INTO role_permissions (role_id, permission_key) VALUES ($1, $2)")
            .bind(key)
            .bind(permission.as_str())
            .execute(&mut *tx)
            .await?;
    }
    for (target_type, target) in &input.available_for {
        sqlx::query(
            "INSERT INTO role_availability (role_id, target_type, target_id) VALUES ($1, $2, $3)",
        )
        .bind(key)
        .bind(target_type.as_str())
        .bind(target)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

fn role_search_row(r: &AnyRow) -> Result<RoleSearchRow, StoreError> {
    Ok(RoleSearchRow {
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        description: r.try_get("description")?,
        company_resource_id: r.try_get("company_resource_id")?,
        company_name: r.try_get("company_name")?,
        create_time: r.try_get("create_time")?,
        holder_count: r.try_get("holder_count")?,
        tenant_holder_count: r.try_get("tenant_holder_count")?,
        is_system: flag(r.try_get("is_system")?),
        owner_id: r.try_get("company_id")?,
    })
}
