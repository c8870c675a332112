//! SCIM 2.0 provisioning: what the SCIM service keeps beside the people it provisions.
//!
//! A tour:
//! - [`IntegrationRow`]: a company's SCIM integration (`/api/scim`), with its optional target
//!   group and its field mappings (a SCIM path written to a custom field). Each integration
//!   has one bearer token, kept as a keyed digest only; [`Store::set_scim_token`] replaces it,
//!   and the old token stops working with that statement.
//! - [`Store::scim_token_owner`] is the one read that runs before any scope exists: it finds
//!   the integration a presented token names, for the SCIM service's authentication.
//! - [`ScimUserRow`] / [`ScimGroupRow`]: a provisioned target user (its `userName`, unique in
//!   the company ignoring case, its `externalId`, and the SCIM attributes that have no
//!   target-user column, as JSON) and a pushed target group (`is_scim_group`).
//!
//! The target users and target groups themselves are written only through their own store
//! functions ([`Store::write_target_users`], [`Store::create_target_group`], …), the ones the
//! `/api` handlers use; this file links them to SCIM and reads them back.

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::{CompanyRef, CompanyScope};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::now_millis;
use latchkey_proto::search::SearchRequest;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::OnUnique;
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::target_groups::TargetGroupRow;
use crate::target_users::{
    Match, TargetUserRow, TargetUserWrite, USER_COLUMNS, WriteReport, user_row,
};
use crate::{Store, StoreError, flag};

const DUPLICATE_NAME: &str = "A SCIM integration with this name";
const DUPLICATE_USER_NAME: &str = "A SCIM user with this userName";
const DELETED: i64 = latchkey_domain::target_user::TargetUserStatus::Deleted.code();

/// What integrations can be searched and sorted by (`POST /api/scim/search`).
pub const SCIM_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Name", "s.name"),
        Field::of("ResourceId", "s.resource_id", Kind::Text),
        Field::of("CreateTime", "s.create_time", Kind::Date),
        Field::of("UpdateTime", "s.update_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "s.id",
};

/// One field mapping of an integration, with the custom field's name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappingRow {
    pub scim_path: String,
    pub field_key: i64,
    pub field_resource_id: String,
    pub field_name: String,
}

/// An integration as a scoped read found it; holding one proves the caller may act on it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct IntegrationRow {
    pub key: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub name: String,
    pub group_key: Option<i64>,
    pub group_resource_id: Option<String>,
    pub group_name: Option<String>,
    pub sync_platform_group: bool,
    /// Group By: the SCIM path whose value names a provisioned user's target group.
    pub group_by_path: Option<String>,
    /// The custom field that path is mapped to, if it is mapped.
    pub group_by_field_name: Option<String>,
    pub mappings: Vec<MappingRow>,
    pub create_time: i64,
    pub update_time: i64,
}

/// A row of `POST /api/scim/search`.
#[derive(Debug, Clone)]
pub struct IntegrationSearchRow {
    pub resource_id: String,
    pub name: String,
    pub group_name: Option<String>,
    pub group_by_path: Option<String>,
    pub group_by_field_name: Option<String>,
    pub create_time: i64,
}

/// A new integration, validated at the edge.
#[derive(Debug, Clone)]
pub struct NewIntegration<'a> {
    /// Chosen by the caller: the token it hands out names it.
    pub resource_id: &'a ResourceId,
    pub name: &'a str,
    pub group: Option<&'a TargetGroupRow>,
    pub sync_platform_group: bool,
    pub group_by_path: Option<&'a str>,
    /// SCIM path and custom field key (from a scoped read of the company's fields).
    pub mappings: Vec<(String, i64)>,
    pub token_digest: &'a [u8; 32],
}

/// The integration a presented token names, with its company: what the SCIM service's
/// authentication needs before it can build a scope.
#[derive(Debug, Clone)]
pub struct TokenOwner {
    pub integration: IntegrationRow,
    pub company: CompanyRef,
    pub token_digest: Vec<u8>,
}

/// A provisioned target user.
#[derive(Debug, Clone)]
pub struct ScimUserRow {
    pub user: TargetUserRow,
    pub user_name: String,
    pub external_id: Option<String>,
    /// The SCIM attributes kept beside the target user's own columns, as a JSON object.
    pub document: String,
    pub create_time: i64,
    pub update_time: i64,
}

/// A target group pushed by an identity provider.
#[derive(Debug, Clone)]
pub struct ScimGroupRow {
    pub group: TargetGroupRow,
    pub external_id: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
}

/// What links a target user to SCIM.
#[derive(Debug, Clone)]
pub struct ScimUserLink<'a> {
    pub user_name: &'a str,
    pub external_id: Option<&'a str>,
    pub document: &'a str,
}

fn fold(s: &str) -> String {
    s.to_lowercase()
}

const INTEGRATION_COLUMNS: &str = "s.id, s.company_id, s.resource_id, s.name, s.target_group_id, \
    s.sync_platform_group, s.create_time, s.update_time, \
    g.resource_id AS group_resource_id, g.name AS group_name, s.group_by_path, \
    (SELECT f.name FROM scim_field_mappings m JOIN custom_fields f ON f.id = m.field_id \
     WHERE m.integration_id = s.id AND m.scim_path = s.group_by_path) AS group_by_field_name";

const INTEGRATION_FROM: &str =
    "FROM scim_integrations s LEFT JOIN target_groups g ON g.id = s.target_group_id";

fn integration_row(r: &AnyRow) -> Result<IntegrationRow, StoreError> {
    Ok(IntegrationRow {
        key: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        group_key: r.try_get("target_group_id")?,
        group_resource_id: r.try_get("group_resource_id")?,
        group_name: r.try_get("group_name")?,
        sync_platform_group: flag(r.try_get("sync_platform_group")?),
        group_by_path: r.try_get("group_by_path")?,
        group_by_field_name: r.try_get("group_by_field_name")?,
        mappings: Vec::new(),
        create_time: r.try_get("create_time")?,
        update_time: r.try_get("update_time")?,
    })
}

const SCIM_USER_COLUMNS: &str = "su.user_name, su.external_id, su.document, \
    su.create_time AS scim_create_time, su.update_time AS scim_update_time";

fn scim_user_row(r: &AnyRow) -> Result<ScimUserRow, StoreError> {
    Ok(ScimUserRow {
        user: user_row(r)?,
        user_name: r.try_get("user_name")?,
        external_id: r.try_get("external_id")?,
        document: r.try_get("document")?,
        create_time: r.try_get("scim_create_time")?,
        update_time: r.try_get("scim_update_time")?,
    })
}

impl Store {
    /// Creates an integration; a name the company uses already (any case) is a conflict.
    pub async fn create_scim_integration(
        &self,
        scope: &CompanyScope,
        new: &NewIntegration<'_>,
    ) -> Result<(), StoreError> {
        if let Some(g) = new.group
            && g.company.id != scope.company_id()
        {
            return Err(StoreError::NotFound);
        }
        let id = new.resource_id;
        let now = now_millis();
        let mut tx = self.write(scope).await?;
        let key: i64 = sqlx::query(
            "INSERT INTO scim_integrations (resource_id, company_id, name, name_folded, \
             target_group_id, sync_platform_group, token_digest, create_time, update_time, \
             group_by_path) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9) RETURNING id",
        )
        .bind(id.as_str())
        .bind(scope.company_id())
        .bind(new.name)
        .bind(fold(new.name))
        .bind(new.group.map(|g| g.key))
        .bind(i64::from(new.sync_platform_group))
        .bind(new.token_digest.to_vec())
        .bind(now)
        .bind(new.group_by_path)
        .fetch_one(&mut *tx)
        .await
        .on_unique(DUPLICATE_NAME)?
        .try_get("id")?;
        for (path, field) in &new.mappings {
            sqlx::query(
                "INSERT INTO scim_field_mappings (integration_id, scim_path, field_id) \
                 SELECT $1, $2, f.id FROM custom_fields f WHERE f.id = $3 AND f.company_id = $4",
            )
            .bind(key)
            .bind(path.as_str())
            .bind(*field)
            .bind(scope.company_id())
            .execute(&mut *tx)
            .await
            .map_err(|e| match e {
                sqlx::Error::Database(db)
                    if db.kind() == sqlx::error::ErrorKind::UniqueViolation =>
                {
                    StoreError::Invalid(vec![format!("SCIM field {path} is mapped more than once")])
                }
                e => StoreError::Database(e),
            })?;
        }
        // The token's digest is not part of what the log shows.
        tx.record(
            Entry::new(
                "ScimIntegration",
                id.as_str(),
                Operation::Create,
                format!("SCIM integration '{}' created", new.name),
            )
            .new_state(serde_json::json!({
                "name": new.name,
                "targetGroupResourceId": new.group.map(|g| g.resource_id.as_str()),
                "syncPlatformGroup": new.sync_platform_group,
                "groupByPath": new.group_by_path,
                "mappedPaths": new.mappings.iter().map(|(p, _)| p.as_str()).collect::<Vec<_>>(),
            })),
        );
        tx.commit().await?;
        Ok(())
    }

    /// The company's integration `id`, with its mappings.
    pub async fn scim_integration(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<IntegrationRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {INTEGRATION_COLUMNS} {INTEGRATION_FROM} \
             WHERE s.resource_id = $1 AND s.company_id = $2"
        ))
        .bind(id.as_str())
        .bind(scope.company_id())
        .fetch_optional(self.pool())
        .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let mut row = integration_row(&r)?;
                row.mappings = self.scim_mappings(row.key).await?;
                Ok(Some(row))
            }
        }
    }

    async fn scim_mappings(&self, integration: i64) -> Result<Vec<MappingRow>, StoreError> {
        sqlx::query(
            "SELECT m.scim_path, f.id, f.resource_id, f.name FROM scim_field_mappings m \
             JOIN custom_fields f ON f.id = m.field_id WHERE m.integration_id = $1 \
             ORDER BY m.scim_path",
        )
        .bind(integration)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| {
            Ok(MappingRow {
                scim_path: r.try_get("scim_path")?,
                field_key: r.try_get("id")?,
                field_resource_id: r.try_get("resource_id")?,
                field_name: r.try_get("name")?,
            })
        })
        .collect()
    }

    /// One page of the company's integrations.
    pub async fn search_scim_integrations(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<(Vec<IntegrationSearchRow>, i64, Compiled), StoreError> {
        let mut params = Params::new(self.backend);
        let company = params.int(scope.company_id());
        SearchQuery::new(
            &SCIM_SEARCH,
            request,
            params,
            "SELECT s.resource_id, s.name, s.create_time, g.name AS group_name, s.group_by_path, \
             (SELECT f.name FROM scim_field_mappings m JOIN custom_fields f ON f.id = m.field_id \
              WHERE m.integration_id = s.id AND m.scim_path = s.group_by_path) \
             AS group_by_field_name",
            |condition| {
                format!("{INTEGRATION_FROM} WHERE s.company_id = {company} AND {condition}")
            },
            |r| {
                Ok(IntegrationSearchRow {
                    resource_id: r.try_get("resource_id")?,
                    name: r.try_get("name")?,
                    group_name: r.try_get("group_name")?,
                    group_by_path: r.try_get("group_by_path")?,
                    group_by_field_name: r.try_get("group_by_field_name")?,
                    create_time: r.try_get("create_time")?,
                })
            },
        )?
        .page(self)
        .await
    }

    pub async fn rename_scim_integration(
        &self,
        scope: &CompanyScope,
        integration: &IntegrationRow,
        name: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        sqlx::query(
            "UPDATE scim_integrations SET name = $1, name_folded = $2, update_time = $3 \
             WHERE id = $4 AND company_id = $5",
        )
        .bind(name)
        .bind(fold(name))
        .bind(now_millis())
        .bind(integration.key)
        .bind(scope.company_id())
        .execute(&mut *tx)
        .await
        .on_unique(DUPLICATE_NAME)?;
        tx.record(
            Entry::new(
                "ScimIntegration",
                integration.resource_id.as_str(),
                Operation::Update,
                format!(
                    "SCIM integration '{}' renamed to '{name}'",
                    integration.name
                ),
            )
            .old(serde_json::json!({"name": integration.name}))
            .new_state(serde_json::json!({"name": name})),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the integration: its token stops working; the users and groups it provisioned
    /// stay (unlinked from it).
    pub async fn delete_scim_integration(
        &self,
        scope: &CompanyScope,
        integration: &IntegrationRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        sqlx::query("DELETE FROM scim_integrations WHERE id = $1 AND company_id = $2")
            .bind(integration.key)
            .bind(scope.company_id())
            .execute(&mut *tx)
            .await?;
        tx.record(
            Entry::new(
                "ScimIntegration",
                integration.resource_id.as_str(),
                Operation::Delete,
                format!("SCIM integration '{}' deleted", integration.name),
            )
            .old(serde_json::json!({"name": integration.name})),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Replaces the integration's token digest: from this statement on, only the new token
    /// authenticates.
    pub async fn set_scim_token(
        &self,
        scope: &CompanyScope,
        integration: &IntegrationRow,
        token_digest: &[u8; 32],
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        sqlx::query(
            "UPDATE scim_integrations SET token_digest = $1, update_time = $2 \
             WHERE id = $3 AND company_id = $4",
        )
        .bind(token_digest.to_vec())
        .bind(now_millis())
        .bind(integration.key)
        .bind(scope.company_id())
        .execute(&mut *tx)
        .await?;
        tx.record(Entry::new(
            "ScimIntegration",
            integration.resource_id.as_str(),
            Operation::Update,
            format!(
                "SCIM integration '{}': token revoked and a new one issued",
                integration.name
            ),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// The integration `id` (from a presented token) with its company and token digest. The
    /// caller compares the digest; nothing else may be read from the result before it matches.
    pub async fn scim_token_owner(
        &self,
        id: &ResourceId,
    ) -> Result<Option<TokenOwner>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {INTEGRATION_COLUMNS}, s.token_digest, \
             c.id AS cid, c.resource_id AS cresource_id, c.name AS cname, c.path, c.is_reseller \
             {INTEGRATION_FROM} JOIN companies c ON c.id = s.company_id WHERE s.resource_id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(self.pool())
        .await?;
        let Some(r) = row else { return Ok(None) };
        let mut integration = integration_row(&r)?;
        integration.mappings = self.scim_mappings(integration.key).await?;
        Ok(Some(TokenOwner {
            integration,
            company: CompanyRef {
                id: r.try_get("cid")?,
                resource_id: ResourceId::from_stored(r.try_get("cresource_id")?),
                name: r.try_get("cname")?,
                path: r.try_get("path")?,
                is_reseller: flag(r.try_get("is_reseller")?),
            },
            token_digest: r.try_get("token_digest")?,
        }))
    }

    /// The company's provisioned user `id` (a target user's resource id), unless deleted.
    pub async fn scim_user(
        &self,
        scope: &CompanyScope,
        id: &str,
    ) -> Result<Option<ScimUserRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, {SCIM_USER_COLUMNS} FROM scim_users su \
             JOIN target_users t ON t.id = su.user_id \
             WHERE t.resource_id = $1 AND su.company_id = $2 AND t.company_id = $2 \
             AND t.status_id <> {DELETED}"
        ))
        .bind(id)
        .bind(scope.company_id())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(scim_user_row).transpose()
    }

    /// The company's provisioned users, oldest first; with `user_name` or `external_id`, only
    /// those that have it (`userName` ignoring case, `externalId` exactly).
    pub async fn scim_users(
        &self,
        scope: &CompanyScope,
        user_name: Option<&str>,
        external_id: Option<&str>,
    ) -> Result<Vec<ScimUserRow>, StoreError> {
        let mut params = Params::new(self.backend);
        let company = params.int(scope.company_id());
        let mut condition = String::new();
        if let Some(u) = user_name {
            condition.push_str(&format!(
                " AND su.user_name_folded = {}",
                params.text(fold(u))
            ));
        }
        if let Some(e) = external_id {
            condition.push_str(&format!(" AND su.external_id = {}", params.text(e)));
        }
        let sql = format!(
            "SELECT {USER_COLUMNS}, {SCIM_USER_COLUMNS} FROM scim_users su \
             JOIN target_users t ON t.id = su.user_id \
             WHERE su.company_id = {company} AND t.company_id = {company} \
             AND t.status_id <> {DELETED}{condition} ORDER BY t.id"
        );
        params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(scim_user_row)
            .collect()
    }

    /// Whether the target user is provisioned by SCIM.
    pub async fn is_scim_user(&self, user: &TargetUserRow) -> Result<bool, StoreError> {
        Ok(
            sqlx::query("SELECT 1 AS one FROM scim_users WHERE user_id = $1")
                .bind(user.key)
                .fetch_optional(self.pool())
                .await?
                .is_some(),
        )
    }

    /// Writes a provisioned user: the target user through the same path as the API (its
    /// validation already done, its audit record with it), then its SCIM link, created or
    /// updated. One change, both or neither. A `userName` another provisioned user of the
    /// company has (any case) is a conflict.
    ///
    /// New users go through the [`provisioner`]: those of concurrent requests are written in
    /// one transaction, each with its own audit record, which is what lets an identity
    /// provider's parallel connections go faster than one.
    pub async fn provision_scim_user(
        &self,
        scope: &CompanyScope,
        integration: &IntegrationRow,
        write: &TargetUserWrite,
        link: &ScimUserLink<'_>,
    ) -> Result<WriteReport, StoreError> {
        if integration.company_id != scope.company_id() {
            return Err(StoreError::NotFound);
        }
        if write.matching == Match::New {
            let item = NewProvision {
                scope: scope.clone(),
                integration: integration.key,
                write: write.clone(),
                link: OwnedLink::from(link),
            };
            return self.provision_new_user(item).await;
        }
        let mut tx = self.write(scope).await?;
        let report = self
            .write_target_users_in(&mut tx, scope, std::slice::from_ref(write), true)
            .await?;
        let user = *report.keys.first().ok_or(StoreError::NotFound)?;
        let now = now_millis();
        // A user deleted through /api keeps its row (and so its link); its userName is free.
        sqlx::query(&format!(
            "DELETE FROM scim_users WHERE company_id = $1 AND user_name_folded = $2 \
             AND user_id IN (SELECT id FROM target_users WHERE company_id = $1 AND status_id = {DELETED})"
        ))
        .bind(scope.company_id())
        .bind(fold(link.user_name))
        .execute(&mut *tx)
        .await?;
        let updated = sqlx::query(
            "UPDATE scim_users SET user_name = $1, user_name_folded = $2, external_id = $3, \
             document = $4, update_time = $5 WHERE user_id = $6",
        )
        .bind(link.user_name)
        .bind(fold(link.user_name))
        .bind(link.external_id)
        .bind(link.document)
        .bind(now)
        .bind(user)
        .execute(&mut *tx)
        .await
        .on_unique(DUPLICATE_USER_NAME)?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO scim_users (user_id, company_id, integration_id, user_name, \
                 user_name_folded, external_id, document, create_time, update_time) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8)",
            )
            .bind(user)
            .bind(scope.company_id())
            .bind(integration.key)
            .bind(link.user_name)
            .bind(fold(link.user_name))
            .bind(link.external_id)
            .bind(link.document)
            .bind(now)
            .execute(&mut *tx)
            .await
            .on_unique(DUPLICATE_USER_NAME)?;
        }
        tx.commit().await?;
        Ok(report)
    }

    /// Hands a new user to the provisioner and waits for its answer; writes it alone when no
    /// provisioner can take it.
    async fn provision_new_user(&self, item: NewProvision) -> Result<WriteReport, StoreError> {
        let queue = self
            .provisioner
            .get_or_init(|| async {
                let (queue, waiting) = tokio::sync::mpsc::unbounded_channel();
                // The provisioner's own handle has no provisioner: the queue closes, and the
                // task ends, when the last of the others is dropped.
                let mut own = self.clone();
                own.provisioner = Default::default();
                tokio::spawn(provisioner(own, waiting));
                queue
            })
            .await;
        let (reply, answer) = tokio::sync::oneshot::channel();
        match queue.send(Pending { item, reply }) {
            Ok(()) => answer.await.unwrap_or_else(|_| {
                Err(StoreError::Corrupt("the SCIM provisioner stopped".into()))
            }),
            Err(refused) => self
                .provision_new_users(std::slice::from_ref(&refused.0.item))
                .await
                .map(|mut reports| reports.remove(0)),
        }
    }

    /// Writes new provisioned users, all of one company and made by one actor, in one
    /// transaction: their target users (each with its audit record) and their SCIM links.
    /// Any problem fails them all.
    async fn provision_new_users(
        &self,
        items: &[NewProvision],
    ) -> Result<Vec<WriteReport>, StoreError> {
        let Some(first) = items.first() else {
            return Ok(Vec::new());
        };
        let scope = &first.scope;
        let writes: Vec<TargetUserWrite> = items.iter().map(|i| i.write.clone()).collect();
        let mut tx = self.write(scope).await?;
        let report = self
            .write_target_users_in(&mut tx, scope, &writes, true)
            .await?;
        let now = now_millis();
        let mut params = Params::new(self.backend);
        let mut rows = Vec::with_capacity(items.len());
        for (item, key) in items.iter().zip(&report.keys) {
            let cells = [
                params.int(*key),
                params.int(scope.company_id()),
                params.int(item.integration),
                params.text(item.link.user_name.as_str()),
                params.text(fold(&item.link.user_name)),
                params.optional_text(item.link.external_id.as_deref()),
                params.text(item.link.document.as_str()),
                params.int(now),
                params.int(now),
            ];
            rows.push(format!("({})", cells.join(", ")));
        }
        // A new user has no link yet: one statement makes them all, each taking its userName
        // over from a user deleted through /api (which keeps its row, and so its link).
        let sql = format!(
            "INSERT INTO scim_users (user_id, company_id, integration_id, user_name, \
             user_name_folded, external_id, document, create_time, update_time) VALUES {} \
             ON CONFLICT (company_id, user_name_folded) DO UPDATE SET \
             user_id = excluded.user_id, integration_id = excluded.integration_id, \
             user_name = excluded.user_name, external_id = excluded.external_id, \
             document = excluded.document, create_time = excluded.create_time, \
             update_time = excluded.update_time \
             WHERE scim_users.user_id IN (SELECT id FROM target_users \
             WHERE company_id = excluded.company_id AND status_id = {DELETED})",
            rows.join(", ")
        );
        let linked = params
            .apply(sqlx::query(&sql))
            .execute(&mut *tx)
            .await
            .on_unique(DUPLICATE_USER_NAME)?
            .rows_affected();
        if linked != items.len() as u64 {
            return Err(StoreError::Conflict(DUPLICATE_USER_NAME));
        }
        tx.commit().await?;
        Ok(report
            .keys
            .iter()
            .zip(&report.resource_ids)
            .map(|(key, id)| WriteReport {
                keys: vec![*key],
                resource_ids: vec![id.clone()],
                created: 1,
                updated: 0,
            })
            .collect())
    }

    /// Deletes a provisioned user (a SCIM `DELETE`) and ends its SCIM link, so that its
    /// `userName` is free again: one change, both or neither.
    pub async fn delete_scim_user(
        &self,
        scope: &CompanyScope,
        user: &TargetUserRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        self.delete_target_users_in(&mut tx, scope, std::slice::from_ref(user))
            .await?;
        sqlx::query("DELETE FROM scim_users WHERE user_id = $1 AND company_id = $2")
            .bind(user.key)
            .bind(scope.company_id())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks a group of the scope's company as pushed by the integration.
    pub async fn link_scim_group(
        &self,
        scope: &CompanyScope,
        integration: &IntegrationRow,
        group: &TargetGroupRow,
        external_id: Option<&str>,
    ) -> Result<(), StoreError> {
        if group.company.id != scope.company_id() || integration.company_id != scope.company_id() {
            return Err(StoreError::NotFound);
        }
        let now = now_millis();
        let mut tx = self.write(scope).await?;
        sqlx::query("UPDATE target_groups SET is_scim_group = 1 WHERE id = $1")
            .bind(group.key)
            .execute(&mut *tx)
            .await?;
        let updated = sqlx::query(
            "UPDATE scim_groups SET external_id = $1, update_time = $2 WHERE group_id = $3",
        )
        .bind(external_id)
        .bind(now)
        .bind(group.key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated == 0 {
            sqlx::query(
                "INSERT INTO scim_groups (group_id, company_id, integration_id, external_id, \
                 create_time, update_time) VALUES ($1, $2, $3, $4, $5, $5)",
            )
            .bind(group.key)
            .bind(scope.company_id())
            .bind(integration.key)
            .bind(external_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Records that a pushed group changed (its members), for `meta.lastModified`.
    pub async fn touch_scim_group(&self, group: &TargetGroupRow) -> Result<(), StoreError> {
        sqlx::query("UPDATE scim_groups SET update_time = $1 WHERE group_id = $2")
            .bind(now_millis())
            .bind(group.key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The company's pushed groups (all, or the one with resource id `id`), oldest first.
    pub async fn scim_groups(
        &self,
        scope: &CompanyScope,
        id: Option<&ResourceId>,
    ) -> Result<Vec<ScimGroupRow>, StoreError> {
        let links = sqlx::query(
            "SELECT sg.group_id, sg.external_id, sg.create_time, sg.update_time \
             FROM scim_groups sg WHERE sg.company_id = $1 ORDER BY sg.group_id",
        )
        .bind(scope.company_id())
        .fetch_all(self.pool())
        .await?;
        let groups = match id {
            Some(id) => self.target_group(scope, id).await?.into_iter().collect(),
            None => self.target_groups(scope).await?,
        };
        let mut out = Vec::new();
        for l in &links {
            let key: i64 = l.try_get("group_id")?;
            if let Some(g) = groups.iter().find(|g| g.key == key) {
                out.push(ScimGroupRow {
                    group: g.clone(),
                    external_id: l.try_get("external_id")?,
                    create_time: l.try_get("create_time")?,
                    update_time: l.try_get("update_time")?,
                });
            }
        }
        Ok(out)
    }

    /// Resource ids of the group's members that are not deleted, in id order.
    pub async fn scim_group_member_ids(
        &self,
        group: &TargetGroupRow,
    ) -> Result<Vec<String>, StoreError> {
        sqlx::query(&format!(
            "SELECT t.resource_id FROM target_group_members m \
             JOIN target_users t ON t.id = m.user_id \
             WHERE m.group_id = $1 AND t.company_id = $2 AND t.status_id <> {DELETED} ORDER BY t.id"
        ))
        .bind(group.key)
        .bind(group.company.id)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok(r.try_get("resource_id")?))
        .collect()
    }
}

/// A [`ScimUserLink`] that can wait in the provisioner's queue.
#[derive(Debug, Clone)]
struct OwnedLink {
    user_name: String,
    external_id: Option<String>,
    document: String,
}

impl From<&ScimUserLink<'_>> for OwnedLink {
    fn from(link: &ScimUserLink<'_>) -> Self {
        Self {
            user_name: link.user_name.to_owned(),
            external_id: link.external_id.map(str::to_owned),
            document: link.document.to_owned(),
        }
    }
}

/// A new user for [`Store::provision_new_users`].
#[derive(Debug, Clone)]
struct NewProvision {
    scope: CompanyScope,
    integration: i64,
    write: TargetUserWrite,
    link: OwnedLink,
}

/// A new user waiting for the provisioner, and where its answer goes.
pub(crate) struct Pending {
    item: NewProvision,
    reply: tokio::sync::oneshot::Sender<Result<WriteReport, StoreError>>,
}

/// The most new users one transaction writes.
const MOST_AT_ONCE: usize = 64;

/// Group commit of new provisioned users. An identity provider provisions on several
/// connections at once (Entra ID and Okta both do), and every write transaction has a fixed
/// cost (the company's count and licence, the audit chain's head, the commit) that on SQLite,
/// with its one writer, bounds how many users a second can be created one by one. The
/// provisioner takes what has queued up while the previous transaction ran, without waiting
/// for more, and writes the users of one company and one actor together; if that fails (one
/// duplicate, the licence), it writes them one by one so that each request gets its own
/// answer. A lone request is written at once, as before.
async fn provisioner(store: Store, mut queue: tokio::sync::mpsc::UnboundedReceiver<Pending>) {
    let mut waiting: Vec<Pending> = Vec::new();
    while let Some(first) = queue.recv().await {
        waiting.push(first);
        while waiting.len() < MOST_AT_ONCE {
            match queue.try_recv() {
                Ok(next) => waiting.push(next),
                Err(_) => break,
            }
        }
        let mut groups: Vec<Vec<Pending>> = Vec::new();
        for pending in waiting.drain(..) {
            let item = &pending.item;
            match groups.iter_mut().find(|g| {
                let other = &g[0].item;
                other.scope.company_id() == item.scope.company_id()
                    && other.integration == item.integration
                    && other.scope.actor() == item.scope.actor()
            }) {
                Some(group) => group.push(pending),
                None => groups.push(vec![pending]),
            }
        }
        futures_util::future::join_all(groups.into_iter().map(|g| write_group(&store, g))).await;
    }
}

async fn write_group(store: &Store, group: Vec<Pending>) {
    if group.len() > 1 {
        let items: Vec<NewProvision> = group.iter().map(|p| p.item.clone()).collect();
        if let Ok(reports) = store.provision_new_users(&items).await {
            for (pending, report) in group.into_iter().zip(reports) {
                let _ = pending.reply.send(Ok(report));
            }
            return;
        }
    }
    for pending in group {
        let answer = store
            .provision_new_users(std::slice::from_ref(&pending.item))
            .await
            .map(|mut reports| reports.remove(0));
        let _ = pending.reply.send(answer);
    }
}
