//! Company groups: a reseller's named sets of the companies it manages. Roles (and, later,
//! other settings) shared with a group reach every member.

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::{CompanyRef, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::now_millis;
use latchkey_proto::search::SearchRequest;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::companies::reach_condition;
use crate::meta::{CLIENTS_REVISION, bump};
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Store, StoreError, flag};

/// A group as a reach-scoped read found it. Only this crate builds one (`non_exhaustive`), so a
/// `GroupRow` in hand is proof that the caller may act on the group: the functions that change
/// a group take one instead of a raw key.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct GroupRow {
    pub key: i64,
    pub resource_id: String,
    pub name: String,
    pub owner: CompanyRef,
    pub company_count: i64,
    pub create_time: i64,
}

#[derive(Debug, Clone)]
pub struct GroupCompanyRow {
    pub resource_id: String,
    pub name: String,
    pub industry_resource_id: Option<String>,
    pub industry_name: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub license_type_name: Option<String>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: i64,
    pub license_end_date: Option<i64>,
    pub create_time: i64,
    pub status_id: i64,
}

pub const GROUP_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Name", "g.name"),
        Field::of("ResourceId", "g.resource_id", Kind::Text),
        Field::of(
            "CompanyCount",
            "(SELECT COUNT(*) FROM company_group_members m WHERE m.group_id = g.id)",
            Kind::Number,
        ),
        Field::of("CreateTime", "g.create_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "g.id",
};

pub const GROUP_COMPANY_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("CompanyName", "c.name"),
        Field::text("Name", "c.name"),
        Field::of("CompanyResourceId", "c.resource_id", Kind::Text),
        Field::of("NumberOfUsers", "c.number_of_users", Kind::Number),
        Field::of("CompanyStatusId", "c.status_id", Kind::Number),
        Field::of("LicenseEndDate", "c.license_end_date", Kind::Date),
        Field::of("CreateTime", "c.create_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "c.id",
};

const GROUP_SELECT_COLUMNS: &str = "SELECT g.id AS group_key, g.resource_id AS group_resource_id, g.name AS group_name, \
    g.create_time AS group_create_time, \
    (SELECT COUNT(*) FROM company_group_members m WHERE m.group_id = g.id) AS company_count, \
    c.id, c.resource_id, c.name, c.path, c.is_reseller";
const GROUP_FROM: &str = "FROM company_groups g JOIN companies c ON c.id = g.owner_company_id";

fn group_row(r: &AnyRow) -> Result<GroupRow, StoreError> {
    Ok(GroupRow {
        key: r.try_get("group_key")?,
        resource_id: r.try_get("group_resource_id")?,
        name: r.try_get("group_name")?,
        owner: crate::companies::company_ref(r)?,
        company_count: r.try_get("company_count")?,
        create_time: r.try_get("group_create_time")?,
    })
}

fn member_ids(companies: &[CompanyScope]) -> Vec<&str> {
    companies
        .iter()
        .map(|c| c.company().resource_id.as_str())
        .collect()
}

impl Store {
    pub async fn create_group(
        &self,
        owner: &CompanyScope,
        name: &str,
        members: &[CompanyScope],
    ) -> Result<ResourceId, StoreError> {
        let id = ResourceId::generate();
        let now = now_millis();
        let mut tx = self.write(owner).await?;
        let key: i64 = sqlx::query(
            "INSERT INTO company_groups (resource_id, owner_company_id, name, create_time) VALUES ($1, $2, $3, $4) RETURNING id",
        )
        .bind(id.as_str())
        .bind(owner.company_id())
        .bind(name)
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        for company in members {
            sqlx::query("INSERT INTO company_group_members (group_id, company_id, added_time) VALUES ($1, $2, $3)")
                .bind(key)
                .bind(company.company_id())
                .bind(now)
                .execute(&mut *tx)
                .await?;
        }
        tx.record(
            Entry::new(
                "CompanyGroup",
                id.as_str(),
                Operation::Create,
                format!("Company group '{name}' created"),
            )
            .new_state(serde_json::json!({
                "name": name,
                "companyResourceIdArray": member_ids(members),
            })),
        );
        tx.commit().await?;
        Ok(id)
    }

    /// A group owned by a company inside `reach`.
    pub async fn group(
        &self,
        reach: &Reach,
        group: &ResourceId,
    ) -> Result<Option<GroupRow>, StoreError> {
        let mut params = Params::new(self.backend);
        let id = params.text(group.as_str());
        let within = reach_condition(reach, "c.path", &mut params);
        let sql =
            format!("{GROUP_SELECT_COLUMNS} {GROUP_FROM} WHERE g.resource_id = {id} AND {within}");
        let row = params
            .apply(sqlx::query(&sql))
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(group_row).transpose()
    }

    /// Every group owned inside `reach`, newest first.
    pub async fn groups(&self, reach: &Reach) -> Result<Vec<GroupRow>, StoreError> {
        let mut params = Params::new(self.backend);
        let within = reach_condition(reach, "c.path", &mut params);
        let sql = format!(
            "{GROUP_SELECT_COLUMNS} {GROUP_FROM} WHERE {within} ORDER BY g.create_time DESC, g.id DESC"
        );
        params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(group_row)
            .collect()
    }

    /// Renames a group of the scope's company.
    pub async fn rename_group(
        &self,
        owner: &CompanyScope,
        group: &GroupRow,
        name: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(owner).await?;
        sqlx::query("UPDATE company_groups SET name = $1 WHERE id = $2 AND owner_company_id = $3")
            .bind(name)
            .bind(group.key)
            .bind(owner.company_id())
            .execute(&mut *tx)
            .await?;
        tx.record(
            Entry::new(
                "CompanyGroup",
                group.resource_id.as_str(),
                Operation::Update,
                format!("Company group '{}' renamed to '{name}'", group.name),
            )
            .old(serde_json::json!({"name": group.name}))
            .new_state(serde_json::json!({"name": name})),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Adds members (already-present ones are left as they are). Membership decides which shared
    /// roles a company's clients may hold, so live clients are refreshed.
    pub async fn add_group_members(
        &self,
        owner: &CompanyScope,
        group: &GroupRow,
        companies: &[CompanyScope],
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let mut tx = self.write(owner).await?;
        tx.record(
            Entry::new(
                "CompanyGroup",
                group.resource_id.as_str(),
                Operation::Update,
                format!(
                    "{} companies added to company group '{}'",
                    companies.len(),
                    group.name
                ),
            )
            .new_state(serde_json::json!({"addedCompanyResourceIds": member_ids(companies)})),
        );
        for company in companies {
            sqlx::query(
                "INSERT INTO company_group_members (group_id, company_id, added_time) VALUES ($1, $2, $3) \
                 ON CONFLICT (group_id, company_id) DO NOTHING",
            )
            .bind(group.key)
            .bind(company.company_id())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn remove_group_members(
        &self,
        owner: &CompanyScope,
        group: &GroupRow,
        companies: &[CompanyScope],
    ) -> Result<(), StoreError> {
        let mut tx = self.write(owner).await?;
        tx.record(
            Entry::new(
                "CompanyGroup",
                group.resource_id.as_str(),
                Operation::Update,
                format!(
                    "{} companies removed from company group '{}'",
                    companies.len(),
                    group.name
                ),
            )
            .old(serde_json::json!({"removedCompanyResourceIds": member_ids(companies)})),
        );
        for company in companies {
            sqlx::query(
                "DELETE FROM company_group_members WHERE group_id = $1 AND company_id = $2",
            )
            .bind(group.key)
            .bind(company.company_id())
            .execute(&mut *tx)
            .await?;
        }
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes groups the scope's actor was found to reach; each deletion is recorded in the
    /// log of the group's owner.
    pub async fn delete_groups(
        &self,
        by: &CompanyScope,
        groups: &[GroupRow],
    ) -> Result<(), StoreError> {
        let mut tx = self.write(by).await?;
        for g in groups {
            tx.record_for(
                g.owner.id,
                Entry::new(
                    "CompanyGroup",
                    g.resource_id.as_str(),
                    Operation::Delete,
                    format!("Company group '{}' deleted", g.name),
                )
                .old(serde_json::json!({"name": g.name, "companyCount": g.company_count})),
            );
        }
        for group in groups.iter().map(|g| g.key) {
            sqlx::query("DELETE FROM role_availability WHERE target_type = 'CompanyGroup' AND target_id = $1")
                .bind(group)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM company_groups WHERE id = $1")
                .bind(group)
                .execute(&mut *tx)
                .await?;
        }
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Groups owned inside `owners`, optionally plus those of a company's ancestors
    /// (`search-with-parent`), one page.
    pub async fn search_groups(
        &self,
        owners: &Reach,
        ancestors_of: Option<&CompanyRef>,
        request: &SearchRequest,
    ) -> Result<(Vec<GroupRow>, i64, Compiled), StoreError> {
        group_search(self.backend, owners, ancestors_of, request)?
            .page(self)
            .await
    }

    /// All matching groups, streamed (exports).
    pub fn export_groups(
        &self,
        owners: &Reach,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<GroupRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(group_search(self.backend, owners, None, request)?.stream(self))
    }

    /// Every group owned inside `owners` that matches `filter`, unpaged (bulk deletion).
    pub async fn groups_matching(
        &self,
        owners: &Reach,
        filter: Option<latchkey_proto::search::Filter>,
    ) -> Result<Vec<GroupRow>, StoreError> {
        let request = SearchRequest {
            filter,
            ..Default::default()
        };
        group_search(self.backend, owners, None, &request)?
            .all(self)
            .await
    }

    /// The member companies of a group, one page.
    /// Resource ids of the companies in any of `groups`, each once, in id order.
    pub async fn group_member_ids(&self, groups: &[GroupRow]) -> Result<Vec<String>, StoreError> {
        if groups.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = Params::new(self.backend);
        let list: Vec<String> = groups.iter().map(|g| params.int(g.key)).collect();
        let sql = format!(
            "SELECT c.resource_id FROM companies c WHERE c.id IN \
             (SELECT m.company_id FROM company_group_members m WHERE m.group_id IN ({})) ORDER BY c.id",
            list.join(", ")
        );
        Ok(params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.try_get("resource_id"))
            .collect::<Result<_, _>>()?)
    }

    /// The member companies of a group, one page.
    pub async fn search_group_companies(
        &self,
        group: &GroupRow,
        request: &SearchRequest,
    ) -> Result<(Vec<GroupCompanyRow>, i64, Compiled), StoreError> {
        group_company_search(self.backend, group, request)?
            .page(self)
            .await
    }

    /// The member companies of a group, streamed for export.
    pub fn export_group_companies(
        &self,
        group: &GroupRow,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<GroupCompanyRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(group_company_search(self.backend, group, request)?.stream(self))
    }
}

/// The search over a group's member companies.
fn group_company_search(
    backend: crate::Backend,
    group: &GroupRow,
    request: &SearchRequest,
) -> Result<SearchQuery<GroupCompanyRow>, StoreError> {
    let mut params = Params::new(backend);
    let g = params.int(group.key);
    SearchQuery::new(
        &GROUP_COMPANY_SEARCH,
        request,
        params,
        "SELECT c.resource_id, c.name, c.industry_resource_id, c.license_type_resource_id, c.is_number_of_users_limited, \
         c.number_of_users, c.license_end_date, c.create_time, c.status_id, \
         (SELECT l.name FROM lookups l WHERE l.resource_id = c.industry_resource_id) AS industry_name, \
         (SELECT l.name FROM lookups l WHERE l.resource_id = c.license_type_resource_id) AS license_type_name",
        |condition| {
            format!(
                "FROM companies c JOIN company_group_members m ON m.company_id = c.id WHERE m.group_id = {g} AND {condition}"
            )
        },
        group_company_row,
    )
}

fn group_company_row(r: &AnyRow) -> Result<GroupCompanyRow, StoreError> {
    Ok(GroupCompanyRow {
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        industry_resource_id: r.try_get("industry_resource_id")?,
        industry_name: r.try_get("industry_name")?,
        license_type_resource_id: r.try_get("license_type_resource_id")?,
        license_type_name: r.try_get("license_type_name")?,
        is_number_of_users_limited: flag(r.try_get("is_number_of_users_limited")?),
        number_of_users: r.try_get("number_of_users")?,
        license_end_date: r.try_get("license_end_date")?,
        create_time: r.try_get("create_time")?,
        status_id: r.try_get("status_id")?,
    })
}

/// The search over the groups owned inside `owners` (and, for `search-with-parent`, those of
/// `ancestors_of`'s ancestors).
fn group_search(
    backend: crate::Backend,
    owners: &Reach,
    ancestors_of: Option<&CompanyRef>,
    request: &SearchRequest,
) -> Result<SearchQuery<GroupRow>, StoreError> {
    let mut params = Params::new(backend);
    let mut within = reach_condition(owners, "c.path", &mut params);
    if let Some(company) = ancestors_of {
        // An ancestor's path is a prefix of the company's own path.
        let own = params.text(company.path.clone());
        within = format!("(({within}) OR substr({own}, 1, length(c.path)) = c.path)");
    }
    SearchQuery::new(
        &GROUP_SEARCH,
        request,
        params,
        GROUP_SELECT_COLUMNS,
        |condition| format!("{GROUP_FROM} WHERE {within} AND {condition}"),
        group_row,
    )
}
