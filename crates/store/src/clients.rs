//! REST API clients: the credentials integrations use to get tokens.

use std::collections::HashMap;

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::{CompanyRef, CompanyScope};
use latchkey_domain::ids::{ClientId, ResourceId};
use latchkey_domain::role::BuiltInRole;
use latchkey_domain::secret::SecretDigest;
use latchkey_domain::time::now_millis;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use latchkey_domain::authz::Reach;
use latchkey_proto::search::SearchRequest;

use crate::companies::{company_ref, reach_condition};
use crate::error::OnUnique;
use crate::meta::{CLIENTS_REVISION, bump};
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Store, StoreError, flag};

/// Client status: the contract's `statusId`.
pub const STATUS_ACTIVE: i64 = 1;
pub const STATUS_INACTIVE: i64 = 0;

/// A client to be created.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub name: String,
    pub client_id: ClientId,
    pub secret_digest: SecretDigest,
    pub status_id: i64,
    pub has_ip_restriction: bool,
    pub allowed_ips: Vec<String>,
    pub role_keys: Vec<i64>,
}

/// A role as granted to a client.
#[derive(Debug, Clone)]
pub struct RoleGrant {
    pub key: i64,
    pub resource_id: String,
    pub name: String,
    pub built_in: Option<BuiltInRole>,
    /// Permission keys of a custom role; empty for built-in roles, whose grants come from the
    /// route table.
    pub permissions: Vec<String>,
}

/// Everything the server needs to authenticate a client and fill its token's claims.
#[derive(Debug, Clone)]
pub struct ClientAuthRow {
    pub key: i64,
    pub resource_id: ResourceId,
    pub name: String,
    pub client_id: ClientId,
    pub secret_digest: SecretDigest,
    pub status_id: i64,
    pub has_ip_restriction: bool,
    pub allowed_ips: Vec<String>,
    pub company: CompanyRef,
    pub company_is_root: bool,
    pub company_industry_name: Option<String>,
    pub company_logo_url: Option<String>,
    pub parent_resource_id: Option<String>,
    pub parent_name: Option<String>,
    pub roles: Vec<RoleGrant>,
}

const AUTH_SELECT: &str = "SELECT a.id AS client_key, a.resource_id AS client_resource_id, \
    a.name AS client_name, a.client_id, a.secret_digest, a.status_id, a.has_ip_restriction, a.allowed_ips, \
    c.id, c.resource_id, c.name, c.path, c.is_reseller, c.is_root, \
    c.industry_name, c.logo_url, p.resource_id AS parent_resource_id, p.name AS parent_name \
    FROM api_clients a JOIN companies c ON c.id = a.company_id \
    LEFT JOIN companies p ON p.id = c.parent_id";

fn auth_row(row: &AnyRow) -> Result<ClientAuthRow, StoreError> {
    let digest: Vec<u8> = row.try_get("secret_digest")?;
    let ips: String = row.try_get("allowed_ips")?;
    Ok(ClientAuthRow {
        key: row.try_get("client_key")?,
        resource_id: ResourceId::from_stored(row.try_get("client_resource_id")?),
        name: row.try_get("client_name")?,
        client_id: ClientId::from_stored(row.try_get("client_id")?),
        secret_digest: SecretDigest::from_bytes(&digest)
            .ok_or_else(|| StoreError::Corrupt("client secret digest is not 32 bytes".into()))?,
        status_id: row.try_get("status_id")?,
        has_ip_restriction: flag(row.try_get("has_ip_restriction")?),
        allowed_ips: serde_json::from_str(&ips)
            .map_err(|e| StoreError::Corrupt(format!("allowed_ips: {e}")))?,
        company: company_ref(row)?,
        company_is_root: flag(row.try_get("is_root")?),
        company_industry_name: row.try_get("industry_name")?,
        company_logo_url: row.try_get("logo_url")?,
        parent_resource_id: row.try_get("parent_resource_id")?,
        parent_name: row.try_get("parent_name")?,
        roles: Vec::new(),
    })
}

impl Store {
    /// Creates a client in the scoped company with its roles.
    pub async fn create_client(
        &self,
        scope: &CompanyScope,
        new: &NewClient,
    ) -> Result<(i64, ResourceId), StoreError> {
        let mut tx = self.write(scope).await?;
        let created = insert_client(&mut tx, scope.company_id(), new).await?;
        let state = client_state(&mut tx, created.0).await?;
        tx.record(
            Entry::new(
                "Client",
                created.1.as_str(),
                Operation::Create,
                format!("Client '{}' created", new.name),
            )
            .new_state(state),
        );
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// Sets a client's status (`STATUS_ACTIVE` / `STATUS_INACTIVE`).
    pub async fn set_client_status(
        &self,
        scope: &CompanyScope,
        client: &ResourceId,
        status_id: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        let key = client_key(&mut tx, scope, client).await?;
        let old = client_state(&mut tx, key).await?;
        sqlx::query("UPDATE api_clients SET status_id = $1, update_time = $2 WHERE id = $3")
            .bind(status_id)
            .bind(now_millis())
            .bind(key)
            .execute(&mut *tx)
            .await?;
        let new = client_state(&mut tx, key).await?;
        tx.record(
            Entry::new(
                "Client",
                client.as_str(),
                Operation::Update,
                format!("Client status set to {status_id}"),
            )
            .old(old)
            .new_state(new),
        );
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a client; its tokens stop working at once because authentication no longer finds
    /// it.
    pub async fn delete_client(
        &self,
        scope: &CompanyScope,
        client: &ResourceId,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        let key = client_key(&mut tx, scope, client).await?;
        let old = client_state(&mut tx, key).await?;
        sqlx::query("DELETE FROM api_clients WHERE id = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.record(
            Entry::new(
                "Client",
                client.as_str(),
                Operation::Delete,
                "Client deleted",
            )
            .old(old),
        );
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Finds which company a client id belongs to, for the offline admin commands.
    pub async fn find_client_by_client_id(
        &self,
        client_id: &str,
    ) -> Result<Option<(ResourceId, CompanyRef)>, StoreError> {
        let row = sqlx::query(&format!("{AUTH_SELECT} WHERE a.client_id = $1"))
            .bind(client_id)
            .fetch_optional(self.pool())
            .await?;
        Ok(match row {
            Some(r) => {
                let a = auth_row(&r)?;
                Some((a.resource_id, a.company))
            }
            None => None,
        })
    }

    /// Every client with what authentication needs. This feeds the server's in-memory client
    /// view, which must know every client to authenticate any of them; it is not tenant data
    /// handed to a caller.
    pub async fn client_auth_rows(&self) -> Result<Vec<ClientAuthRow>, StoreError> {
        let rows = sqlx::query(AUTH_SELECT).fetch_all(self.pool()).await?;
        let mut clients = rows.iter().map(auth_row).collect::<Result<Vec<_>, _>>()?;
        let mut roles = self.client_role_grants().await?;
        for c in &mut clients {
            c.roles = roles.remove(&c.key).unwrap_or_default();
        }
        Ok(clients)
    }

    /// Roles of every client, with the permission keys of custom roles.
    async fn client_role_grants(&self) -> Result<HashMap<i64, Vec<RoleGrant>>, StoreError> {
        self.grants(
            &Params::new(self.backend),
            "SELECT cr.client_id AS holder, r.id, r.resource_id, r.name, r.is_system \
             FROM api_client_roles cr JOIN roles r ON r.id = cr.role_id ORDER BY r.id",
            "SELECT rp.role_id, rp.permission_key FROM role_permissions rp \
             WHERE rp.role_id IN (SELECT role_id FROM api_client_roles) ORDER BY rp.permission_key",
        )
        .await
    }

    /// Role rows (`holder, id, resource_id, name, is_system`) grouped by holder, with the
    /// permissions from `perms_sql` (`role_id, permission_key`). Both queries share `params`.
    pub(crate) async fn grants(
        &self,
        params: &Params,
        roles_sql: &str,
        perms_sql: &str,
    ) -> Result<HashMap<i64, Vec<RoleGrant>>, StoreError> {
        let rows = params
            .apply(sqlx::query(roles_sql))
            .fetch_all(self.pool())
            .await?;
        let perm_rows = params
            .apply(sqlx::query(perms_sql))
            .fetch_all(self.pool())
            .await?;
        let mut perms: HashMap<i64, Vec<String>> = HashMap::new();
        for r in &perm_rows {
            perms
                .entry(r.try_get("role_id")?)
                .or_default()
                .push(r.try_get("permission_key")?);
        }
        let mut grants: HashMap<i64, Vec<RoleGrant>> = HashMap::new();
        for r in &rows {
            let key: i64 = r.try_get("id")?;
            let resource_id: String = r.try_get("resource_id")?;
            let built_in = if flag(r.try_get("is_system")?) {
                BuiltInRole::from_resource_id(&resource_id)
            } else {
                None
            };
            grants
                .entry(r.try_get("holder")?)
                .or_default()
                .push(RoleGrant {
                    key,
                    resource_id,
                    name: r.try_get("name")?,
                    built_in,
                    permissions: perms.get(&key).cloned().unwrap_or_default(),
                });
        }
        Ok(grants)
    }
}

/// The key of the scope company's client `client`.
async fn client_key(
    conn: &mut AnyConnection,
    scope: &CompanyScope,
    client: &ResourceId,
) -> Result<i64, StoreError> {
    let row = sqlx::query("SELECT id FROM api_clients WHERE resource_id = $1 AND company_id = $2")
        .bind(client.as_str())
        .bind(scope.company_id())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok(row.try_get("id")?)
}

/// A client as its audit records show it: every setting, never the secret's digest.
async fn client_state(conn: &mut AnyConnection, key: i64) -> Result<serde_json::Value, StoreError> {
    let row = sqlx::query(
        "SELECT resource_id, name, client_id, status_id, has_ip_restriction, allowed_ips \
         FROM api_clients WHERE id = $1",
    )
    .bind(key)
    .fetch_one(&mut *conn)
    .await?;
    let roles = sqlx::query(
        "SELECT r.resource_id FROM api_client_roles cr JOIN roles r ON r.id = cr.role_id \
         WHERE cr.client_id = $1 ORDER BY r.id",
    )
    .bind(key)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("resource_id"))
    .collect::<Result<Vec<_>, _>>()?;
    let ips: String = row.try_get("allowed_ips")?;
    Ok(serde_json::json!({
        "resourceId": row.try_get::<String, _>("resource_id")?,
        "name": row.try_get::<String, _>("name")?,
        "clientId": row.try_get::<String, _>("client_id")?,
        "statusId": row.try_get::<i64, _>("status_id")?,
        "hasIpAddressRestriction": flag(row.try_get("has_ip_restriction")?),
        "allowedIpAddresses": serde_json::from_str::<serde_json::Value>(&ips)
            .map_err(|e| StoreError::Corrupt(format!("allowed_ips: {e}")))?,
        "roleResourceIdList": roles,
    }))
}

/// Inserts a client and its roles, inside the caller's transaction.
pub(crate) async fn insert_client(
    conn: &mut AnyConnection,
    company_id: i64,
    new: &NewClient,
) -> Result<(i64, ResourceId), StoreError> {
    let now = now_millis();
    let resource_id = ResourceId::generate();
    let ips =
        serde_json::to_string(&new.allowed_ips).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let row = sqlx::query(
        "INSERT INTO api_clients (resource_id, company_id, name, client_id, secret_digest, \
         status_id, has_ip_restriction, allowed_ips, create_time, update_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(resource_id.as_str())
    .bind(company_id)
    .bind(new.name.as_str())
    .bind(new.client_id.as_str())
    .bind(new.secret_digest.as_bytes().to_vec())
    .bind(new.status_id)
    .bind(i64::from(new.has_ip_restriction))
    .bind(ips)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .on_unique("A client with this client ID")?;
    let key: i64 = row.try_get("id")?;
    for role in &new.role_keys {
        sqlx::query("INSERT INTO api_client_roles (client_id, role_id) VALUES ($1, $2)")
            .bind(key)
            .bind(role)
            .execute(&mut *conn)
            .await?;
    }
    Ok((key, resource_id))
}

/// One client as the REST API page shows it.
#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub key: i64,
    pub resource_id: ResourceId,
    pub company: CompanyRef,
    pub name: String,
    pub client_id: String,
    pub status_id: i64,
    pub has_ip_restriction: bool,
    pub allowed_ips: Vec<String>,
    pub role_resource_ids: Vec<String>,
    pub create_time: i64,
}

/// The new state of a client. `secret_digest: None` keeps the current secret.
#[derive(Debug, Clone)]
pub struct ClientChanges {
    pub name: String,
    pub client_id: ClientId,
    pub secret_digest: Option<SecretDigest>,
    pub status_id: i64,
    pub has_ip_restriction: bool,
    pub allowed_ips: Vec<String>,
    pub role_keys: Vec<i64>,
}

/// A row of `POST /api/companies/clients/search` and its export.
#[derive(Debug, Clone)]
pub struct ClientSearchRow {
    pub resource_id: String,
    pub name: String,
    pub client_id: String,
    pub create_time: i64,
    pub status_id: i64,
}

/// What clients can be searched and sorted by.
pub const CLIENT_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Name", "a.name"),
        Field::text("ClientName", "a.name"),
        Field::text("ClientId", "a.client_id"),
        Field::of("ResourceId", "a.resource_id", Kind::Text),
        Field::of("StatusId", "a.status_id", Kind::Number),
        Field::of("Status", "a.status_id", Kind::Number),
        Field::of(
            "HasIpAddressRestriction",
            "a.has_ip_restriction",
            Kind::Bool,
        ),
        Field::of("CreateTime", "a.create_time", Kind::Date),
        Field::of("UpdateTime", "a.update_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "a.id",
};

const RECORD_SELECT: &str = "SELECT a.id AS client_key, a.resource_id AS client_resource_id, a.name AS client_name, \
    a.client_id, a.status_id, a.has_ip_restriction, a.allowed_ips, a.create_time, \
    c.id, c.resource_id, c.name, c.path, c.is_reseller \
    FROM api_clients a JOIN companies c ON c.id = a.company_id";

impl Store {
    /// A client inside the reach, or `None` — also when it exists outside it, so that other
    /// tenants' ids are indistinguishable from unknown ones.
    pub async fn client_in_reach(
        &self,
        reach: &Reach,
        client: &ResourceId,
    ) -> Result<Option<ClientRecord>, StoreError> {
        let mut params = Params::new(self.backend);
        let id = params.text(client.as_str());
        let within = reach_condition(reach, "c.path", &mut params);
        let sql = format!("{RECORD_SELECT} WHERE a.resource_id = {id} AND {within}");
        let Some(row) = params
            .apply(sqlx::query(&sql))
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let ips: String = row.try_get("allowed_ips")?;
        let key: i64 = row.try_get("client_key")?;
        let roles = sqlx::query(
            "SELECT r.resource_id FROM api_client_roles cr JOIN roles r ON r.id = cr.role_id \
             WHERE cr.client_id = $1 ORDER BY r.id",
        )
        .bind(key)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>("resource_id"))
        .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(ClientRecord {
            key,
            resource_id: ResourceId::from_stored(row.try_get("client_resource_id")?),
            company: company_ref(&row)?,
            name: row.try_get("client_name")?,
            client_id: row.try_get("client_id")?,
            status_id: row.try_get("status_id")?,
            has_ip_restriction: flag(row.try_get("has_ip_restriction")?),
            allowed_ips: serde_json::from_str(&ips)
                .map_err(|e| StoreError::Corrupt(format!("allowed_ips: {e}")))?,
            role_resource_ids: roles,
            create_time: row.try_get("create_time")?,
        }))
    }

    /// Replaces a client's settings (and its secret, when a new digest is given).
    pub async fn update_client(
        &self,
        scope: &CompanyScope,
        client: &ResourceId,
        changes: &ClientChanges,
    ) -> Result<(), StoreError> {
        let ips = serde_json::to_string(&changes.allowed_ips)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write(scope).await?;
        let key = client_key(&mut tx, scope, client).await?;
        let old = client_state(&mut tx, key).await?;
        sqlx::query(
            "UPDATE api_clients SET name = $1, client_id = $2, status_id = $3, has_ip_restriction = $4, \
             allowed_ips = $5, update_time = $6 WHERE id = $7",
        )
        .bind(changes.name.as_str())
        .bind(changes.client_id.as_str())
        .bind(changes.status_id)
        .bind(i64::from(changes.has_ip_restriction))
        .bind(ips)
        .bind(now_millis())
        .bind(key)
        .execute(&mut *tx)
        .await
        .on_unique("A client with this client ID")?;
        if let Some(digest) = &changes.secret_digest {
            sqlx::query("UPDATE api_clients SET secret_digest = $1 WHERE id = $2")
                .bind(digest.as_bytes().to_vec())
                .bind(key)
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("DELETE FROM api_client_roles WHERE client_id = $1")
            .bind(key)
            .execute(&mut *tx)
            .await?;
        for role in &changes.role_keys {
            sqlx::query("INSERT INTO api_client_roles (client_id, role_id) VALUES ($1, $2)")
                .bind(key)
                .bind(role)
                .execute(&mut *tx)
                .await?;
        }
        let new = client_state(&mut tx, key).await?;
        let rotated = if changes.secret_digest.is_some() {
            ", secret rotated"
        } else {
            ""
        };
        tx.record(
            Entry::new(
                "Client",
                client.as_str(),
                Operation::Update,
                format!("Client '{}' updated{rotated}", changes.name),
            )
            .old(old)
            .new_state(new),
        );
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// One page of clients in the reach, and the total count.
    pub async fn search_clients(
        &self,
        reach: &Reach,
        request: &SearchRequest,
    ) -> Result<(Vec<ClientSearchRow>, i64, Compiled), StoreError> {
        client_search(self.backend, reach, request)?
            .page(self)
            .await
    }

    /// The rows of an export, streamed: memory stays constant however many match.
    pub fn export_clients(
        &self,
        reach: &Reach,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<ClientSearchRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(client_search(self.backend, reach, request)?.stream(self))
    }

    /// Keys of the roles named by `resource_ids` if every one is available to `company`;
    /// otherwise the ids that are not.
    pub async fn roles_available_to(
        &self,
        scope: &CompanyScope,
        resource_ids: &[String],
    ) -> Result<Result<Vec<i64>, Vec<String>>, StoreError> {
        let available = self.available_roles(scope).await?;
        let mut keys = Vec::new();
        let mut missing = Vec::new();
        for id in resource_ids {
            match available.iter().find(|r| &r.resource_id == id) {
                Some(r) => keys.push(r.key),
                None => missing.push(id.clone()),
            }
        }
        Ok(if missing.is_empty() {
            Ok(keys)
        } else {
            Err(missing)
        })
    }
}

/// The client search within `reach`.
fn client_search(
    backend: crate::Backend,
    reach: &Reach,
    request: &SearchRequest,
) -> Result<SearchQuery<ClientSearchRow>, StoreError> {
    let mut params = Params::new(backend);
    let within = reach_condition(reach, "c.path", &mut params);
    SearchQuery::new(
        &CLIENT_SEARCH,
        request,
        params,
        "SELECT a.resource_id, a.name, a.client_id, a.create_time, a.status_id",
        |condition| {
            format!(
                "FROM api_clients a JOIN companies c ON c.id = a.company_id WHERE {within} AND {condition}"
            )
        },
        client_search_row,
    )
}

fn client_search_row(row: &AnyRow) -> Result<ClientSearchRow, StoreError> {
    Ok(ClientSearchRow {
        resource_id: row.try_get("resource_id")?,
        name: row.try_get("name")?,
        client_id: row.try_get("client_id")?,
        create_time: row.try_get("create_time")?,
        status_id: row.try_get("status_id")?,
    })
}
