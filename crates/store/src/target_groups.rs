//! Target groups: named sets of one company's target users, the audiences of simulations and
//! training.
//!
//! A tour:
//! - [`TargetGroupRow`] is a group as a scoped read found it ([`Store::target_group`],
//!   [`Store::target_groups`], the searches); the functions that change a group or its members
//!   take one, so holding it is the proof that the caller may.
//! - [`MemberKeys`] are target users of one company, resolved from resource ids by a scoped read
//!   ([`Store::company_target_users`]); membership changes take them with the group and add or
//!   remove only users of the group's own company.
//! - Searches run on the one engine ([`TARGET_GROUP_SEARCH`]) over a [`Reach`]: one company,
//!   or a reseller's company and those below it (`search/all`).
//! - [`Store::target_group_user_counts`] counts a group's users by status, phone number,
//!   preferred language, time zone and email domain.
//!
//! A group's user counts leave deleted target users out: a deleted user keeps its row (and its
//! memberships) to stay readable, but is no longer anyone's audience. Deleting a group removes
//! its memberships, never its users.

use std::collections::HashSet;

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::{CompanyRef, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{Priority, TargetUserStatus};
use latchkey_domain::time::now_millis;
use latchkey_proto::search::{Filter, SearchRequest};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::companies::{company_ref, reach_condition};
use crate::error::OnUnique;
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::target_users::{Among, TargetUserRow, USER_COLUMNS, user_query, user_row};
use crate::{Backend, Store, StoreError, flag};

const DELETED: i64 = TargetUserStatus::Deleted.code();

/// What a duplicate group name conflicts with (`… already exists`).
const DUPLICATE_NAME: &str = "A target group with this name";

/// A group as a scoped read found it. Only this crate builds one (`non_exhaustive`), so a row in
/// hand is proof that the caller may act on the group.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TargetGroupRow {
    pub key: i64,
    pub resource_id: String,
    pub company: CompanyRef,
    pub name: String,
    pub priority: Priority,
    pub is_active: bool,
    pub is_scim_group: bool,
    pub is_google_group: bool,
    /// Kept by the platform itself (`isCreatedBySystem`).
    pub is_system: bool,
    /// Members that are not deleted.
    pub user_count: i64,
    /// Of those, the ones with a phone number.
    pub user_count_with_phone: i64,
    /// Whether the group holds every user the search asked about
    /// ([`GroupSearch::selected_users`]); false outside such a search.
    pub is_selected: bool,
    pub create_time: i64,
    pub update_time: i64,
}

/// What a group search covers beyond the request: whose groups, and extras of the contract.
#[derive(Debug, Clone, Copy)]
pub struct GroupSearch<'a> {
    pub owners: &'a Reach,
    /// `systemGeneratedGroups`: the platform's own groups instead of the company's.
    pub system_generated: bool,
    /// `selectTargetUserResourceIds`, resolved: each row says whether it holds all of them.
    pub selected_users: Option<&'a MemberKeys>,
}

/// Target users of one company, found by [`Store::company_target_users`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct MemberKeys {
    company_id: i64,
    keys: Vec<i64>,
}

impl MemberKeys {
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// A group's changes (`PUT /api/target-groups/{resourceId}`).
#[derive(Debug, Clone)]
pub struct GroupChanges {
    pub name: String,
    pub priority: Priority,
    /// `None` keeps the group's state.
    pub is_active: Option<bool>,
}

/// One bucket of a group's users: how many share these traits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserCountRow {
    pub status_id: i64,
    pub has_phone_number: bool,
    pub has_preferred_language: bool,
    /// The user's preferred language is the company's.
    pub has_company_preferred_language: bool,
    pub time_zone_id: Option<String>,
    /// The part of the email address after `@`, lower-cased.
    pub email_domain: String,
    pub count: i64,
}

/// A group's user counts and what they are measured against.
#[derive(Debug, Clone)]
pub struct UserCounts {
    /// The name of the company's preferred language, if it has one.
    pub company_preferred_language: Option<String>,
    pub buckets: Vec<UserCountRow>,
}

/// The members of group `g.id` that are not deleted (`status_id` 2, [`DELETED`]), as the tail
/// of a `SELECT COUNT(*)`; a macro so that the search fields can `concat!` it.
macro_rules! members {
    () => {
        "FROM target_group_members m JOIN target_users u ON u.id = m.user_id \
         WHERE m.group_id = g.id AND u.status_id <> 2"
    };
}
const USER_COUNT: &str = concat!("(SELECT COUNT(*) ", members!(), ")");
const USER_COUNT_WITH_PHONE: &str = concat!(
    "(SELECT COUNT(*) ",
    members!(),
    " AND COALESCE(u.phone_number, '') <> '')"
);

/// What target groups can be searched and sorted by.
pub const TARGET_GROUP_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text_folded("Name", "g.name", "g.name_folded"),
        Field::of("ResourceId", "g.resource_id", Kind::Text),
        Field::of("CompanyName", "c.name", Kind::Text),
        Field::of("CompanyResourceId", "c.resource_id", Kind::Text),
        // By name (`Priority = High`); sorted by rank.
        Field::of("Priority", "g.priority", Kind::Enum(Priority::NAMES)),
        Field::of("UserCount", USER_COUNT, Kind::Number),
        Field::of(
            "UserCountWithPhoneNumber",
            USER_COUNT_WITH_PHONE,
            Kind::Number,
        ),
        Field::of("IsActive", "g.is_active", Kind::Bool),
        Field::of("IsScimGroup", "g.is_scim_group", Kind::Bool),
        Field::of("IsGoogleGroup", "g.is_google_group", Kind::Bool),
        Field::of("IsCreatedBySystem", "g.is_system", Kind::Bool),
        Field::of("CreateTime", "g.create_time", Kind::Date),
        Field::of("UpdateTime", "g.update_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "g.id",
};

/// The columns of a [`TargetGroupRow`] but `is_selected`, which the caller adds.
fn group_columns() -> String {
    format!(
        "SELECT g.id AS group_key, g.resource_id AS group_resource_id, g.name AS group_name, \
         g.priority, g.is_active, g.is_scim_group, g.is_google_group, g.is_system, \
         g.create_time AS group_create_time, g.update_time AS group_update_time, \
         {USER_COUNT} AS user_count, {USER_COUNT_WITH_PHONE} AS user_count_with_phone, \
         c.id, c.resource_id, c.name, c.path, c.is_reseller"
    )
}

const GROUP_FROM: &str = "FROM target_groups g JOIN companies c ON c.id = g.company_id";

fn group_row(r: &AnyRow) -> Result<TargetGroupRow, StoreError> {
    Ok(TargetGroupRow {
        key: r.try_get("group_key")?,
        resource_id: r.try_get("group_resource_id")?,
        company: company_ref(r)?,
        name: r.try_get("group_name")?,
        priority: priority(r.try_get("priority")?)?,
        is_active: flag(r.try_get("is_active")?),
        is_scim_group: flag(r.try_get("is_scim_group")?),
        is_google_group: flag(r.try_get("is_google_group")?),
        is_system: flag(r.try_get("is_system")?),
        user_count: r.try_get("user_count")?,
        user_count_with_phone: r.try_get("user_count_with_phone")?,
        is_selected: flag(r.try_get("is_selected")?),
        create_time: r.try_get("group_create_time")?,
        update_time: r.try_get("group_update_time")?,
    })
}

fn priority(code: i64) -> Result<Priority, StoreError> {
    Priority::from_code(code)
        .ok_or_else(|| StoreError::Corrupt(format!("target group priority {code}")))
}

/// A group as its audit records show it.
fn group_state(group: &TargetGroupRow) -> serde_json::Value {
    serde_json::json!({
        "resourceId": group.resource_id,
        "name": group.name,
        "priority": group.priority.name(),
        "isActive": group.is_active,
    })
}

/// Group names are unique per company ignoring case; the server folds them, so that both
/// backends compare alike (`target_groups.name_folded`).
fn fold(name: &str) -> String {
    name.to_lowercase()
}

impl Store {
    pub async fn create_target_group(
        &self,
        owner: &CompanyScope,
        name: &str,
        priority: Priority,
    ) -> Result<ResourceId, StoreError> {
        let id = ResourceId::generate();
        let now = now_millis();
        let mut tx = self.write(owner).await?;
        sqlx::query(
            "INSERT INTO target_groups (resource_id, company_id, name, name_folded, priority, \
             create_time, update_time) VALUES ($1, $2, $3, $4, $5, $6, $6)",
        )
        .bind(id.as_str())
        .bind(owner.company_id())
        .bind(name)
        .bind(fold(name))
        .bind(priority.code())
        .bind(now)
        .execute(&mut *tx)
        .await
        .on_unique(DUPLICATE_NAME)?;
        tx.record(
            Entry::new(
                "TargetGroup",
                id.as_str(),
                Operation::Create,
                format!("Target group '{name}' created"),
            )
            .new_state(serde_json::json!({"name": name, "priority": priority.name()})),
        );
        tx.commit().await?;
        Ok(id)
    }

    /// The company's group `id`; `None` also when it belongs to another company, so that other
    /// tenants' ids are indistinguishable from unknown ones.
    pub async fn target_group(
        &self,
        owner: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<TargetGroupRow>, StoreError> {
        let sql = format!(
            "{}, 0 AS is_selected {GROUP_FROM} WHERE g.resource_id = $1 AND g.company_id = $2",
            group_columns()
        );
        let row = sqlx::query(&sql)
            .bind(id.as_str())
            .bind(owner.company_id())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(group_row).transpose()
    }

    /// The company's group named `name`, ignoring case.
    pub async fn target_group_named(
        &self,
        owner: &CompanyScope,
        name: &str,
    ) -> Result<Option<TargetGroupRow>, StoreError> {
        let sql = format!(
            "{}, 0 AS is_selected {GROUP_FROM} WHERE g.name_folded = $1 AND g.company_id = $2",
            group_columns()
        );
        let row = sqlx::query(&sql)
            .bind(fold(name))
            .bind(owner.company_id())
            .fetch_optional(self.pool())
            .await?;
        row.as_ref().map(group_row).transpose()
    }

    /// Every group of the company, newest first.
    pub async fn target_groups(
        &self,
        owner: &CompanyScope,
    ) -> Result<Vec<TargetGroupRow>, StoreError> {
        let sql = format!(
            "{}, 0 AS is_selected {GROUP_FROM} WHERE g.company_id = $1 \
             ORDER BY g.create_time DESC, g.id DESC",
            group_columns()
        );
        sqlx::query(&sql)
            .bind(owner.company_id())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(group_row)
            .collect()
    }

    pub async fn update_target_group(
        &self,
        owner: &CompanyScope,
        group: &TargetGroupRow,
        changes: &GroupChanges,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(owner).await?;
        sqlx::query(
            "UPDATE target_groups SET name = $1, name_folded = $2, priority = $3, \
             is_active = COALESCE($4, is_active), update_time = $5 WHERE id = $6",
        )
        .bind(changes.name.as_str())
        .bind(fold(&changes.name))
        .bind(changes.priority.code())
        .bind(changes.is_active.map(i64::from))
        .bind(now_millis())
        .bind(group.key)
        .execute(&mut *tx)
        .await
        .on_unique(DUPLICATE_NAME)?;
        tx.record(
            Entry::new(
                "TargetGroup",
                group.resource_id.as_str(),
                Operation::Update,
                format!("Target group '{}' updated", changes.name),
            )
            .old(group_state(group))
            .new_state(serde_json::json!({
                "name": changes.name,
                "priority": changes.priority.name(),
                "isActive": changes.is_active.unwrap_or(group.is_active),
            })),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the group and its memberships (and the custom fields defined for its users);
    /// the users stay.
    pub async fn delete_target_group(
        &self,
        owner: &CompanyScope,
        group: &TargetGroupRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(owner).await?;
        tx.record(
            Entry::new(
                "TargetGroup",
                group.resource_id.as_str(),
                Operation::Delete,
                format!("Target group '{}' deleted", group.name),
            )
            .old(group_state(group)),
        );
        sqlx::query("DELETE FROM target_group_members WHERE group_id = $1")
            .bind(group.key)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM target_groups WHERE id = $1")
            .bind(group.key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// One page of groups and the total count.
    pub async fn search_target_groups(
        &self,
        search: GroupSearch<'_>,
        request: &SearchRequest,
    ) -> Result<(Vec<TargetGroupRow>, i64, Compiled), StoreError> {
        group_search(self.backend, search, request)?
            .page(self)
            .await
    }

    /// The groups of an export, streamed.
    pub fn export_target_groups(
        &self,
        search: GroupSearch<'_>,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<TargetGroupRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(group_search(self.backend, search, request)?.stream(self))
    }

    /// The target users of the scoped company with these resource ids (deleted users are
    /// not found). `Err` lists the ids that are not: unknown, deleted or another company's.
    pub async fn company_target_users(
        &self,
        scope: &CompanyScope,
        ids: &[String],
    ) -> Result<Result<MemberKeys, Vec<String>>, StoreError> {
        let mut found: Vec<(String, i64)> = Vec::with_capacity(ids.len());
        // Ids arrive by the thousand at most (the list limit); a few statements of 500 binds
        // each stay well inside both stores' bind limits.
        for chunk in ids.chunks(500) {
            let mut params = Params::new(self.backend);
            let company = params.int(scope.company_id());
            let list: Vec<String> = chunk.iter().map(|id| params.text(id.as_str())).collect();
            let sql = format!(
                "SELECT u.resource_id, u.id FROM target_users u WHERE u.company_id = {company} \
                 AND u.status_id <> {DELETED} AND u.resource_id IN ({})",
                list.join(", ")
            );
            for r in params
                .apply(sqlx::query(&sql))
                .fetch_all(self.pool())
                .await?
            {
                found.push((r.try_get("resource_id")?, r.try_get("id")?));
            }
        }
        let missing: Vec<String> = ids
            .iter()
            .filter(|id| !found.iter().any(|(f, _)| f == *id))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Ok(Err(missing));
        }
        let mut keys: Vec<i64> = found.into_iter().map(|(_, k)| k).collect();
        keys.sort_unstable();
        keys.dedup();
        Ok(Ok(MemberKeys {
            company_id: scope.company_id(),
            keys,
        }))
    }

    /// The target users that a `selectAll` adds: every user of the company `filter` matches
    /// (on the target-user search), except deleted ones and those listed in `excluded`.
    pub async fn target_users_to_add(
        &self,
        scope: &CompanyScope,
        filter: Option<Filter>,
        excluded: &[String],
    ) -> Result<MemberKeys, StoreError> {
        let request = SearchRequest {
            filter,
            ..Default::default()
        };
        // Keys only: a company may have a million users.
        let matches = user_query(
            self.backend,
            scope,
            Among::All,
            &request,
            "SELECT t.id, t.resource_id, t.status_id".to_owned(),
            |r| {
                Ok((
                    r.try_get::<i64, _>("id")?,
                    r.try_get::<String, _>("resource_id")?,
                    r.try_get::<i64, _>("status_id")?,
                ))
            },
        )?
        .all(self)
        .await?;
        let excluded: HashSet<&str> = excluded.iter().map(String::as_str).collect();
        let keys = matches
            .into_iter()
            .filter(|(_, id, status)| *status != DELETED && !excluded.contains(id.as_str()))
            .map(|(key, _, _)| key)
            .collect();
        Ok(MemberKeys {
            company_id: scope.company_id(),
            keys,
        })
    }

    /// One page of the group's members, or with `outside` of the company's users who are not
    /// members, on the target-user search.
    pub async fn search_target_group_users(
        &self,
        scope: &CompanyScope,
        group: &TargetGroupRow,
        outside: bool,
        request: &SearchRequest,
    ) -> Result<(Vec<TargetUserRow>, i64, Compiled), StoreError> {
        group_user_search(self.backend, scope, group, outside, request)?
            .page(self)
            .await
    }

    /// The rows of a member export, streamed.
    pub fn export_target_group_users(
        &self,
        scope: &CompanyScope,
        group: &TargetGroupRow,
        outside: bool,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<TargetUserRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(group_user_search(self.backend, scope, group, outside, request)?.stream(self))
    }

    /// Adds `users` to every group of `groups` (members already there stay as they are), in
    /// one transaction; answers how many each group gained.
    pub async fn add_target_group_members(
        &self,
        owner: &CompanyScope,
        groups: &[TargetGroupRow],
        users: &MemberKeys,
    ) -> Result<Vec<u64>, StoreError> {
        same_company(groups, users)?;
        let now = now_millis();
        let mut tx = self.write(owner).await?;
        let mut added = Vec::with_capacity(groups.len());
        for group in groups {
            let mut n = 0;
            for chunk in users.keys.chunks(500) {
                let mut params = Params::new(self.backend);
                let (g, t) = (params.int(group.key), params.int(now));
                let list: Vec<String> = chunk.iter().map(|k| params.int(*k)).collect();
                let sql = format!(
                    "INSERT INTO target_group_members (group_id, user_id, added_time) \
                     SELECT {g}, u.id, {t} FROM target_users u WHERE u.id IN ({}) \
                     ON CONFLICT (group_id, user_id) DO NOTHING",
                    list.join(", ")
                );
                n += params
                    .apply(sqlx::query(&sql))
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
            }
            tx.record(
                Entry::new(
                    "TargetGroup",
                    group.resource_id.as_str(),
                    Operation::UpdateMany,
                    format!("{n} target users added to target group '{}'", group.name),
                )
                .new_state(
                    serde_json::json!({"addedUserCount": n, "requestedUserCount": users.len()}),
                ),
            );
            added.push(n);
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Removes `users` from the group (non-members are left alone); answers how many left.
    pub async fn remove_target_group_members(
        &self,
        owner: &CompanyScope,
        group: &TargetGroupRow,
        users: &MemberKeys,
    ) -> Result<u64, StoreError> {
        same_company(std::slice::from_ref(group), users)?;
        let mut tx = self.write(owner).await?;
        let mut removed = 0;
        for chunk in users.keys.chunks(500) {
            let mut params = Params::new(self.backend);
            let g = params.int(group.key);
            let list: Vec<String> = chunk.iter().map(|k| params.int(*k)).collect();
            let sql = format!(
                "DELETE FROM target_group_members WHERE group_id = {g} AND user_id IN ({})",
                list.join(", ")
            );
            removed += params
                .apply(sqlx::query(&sql))
                .execute(&mut *tx)
                .await?
                .rows_affected();
        }
        tx.record(
            Entry::new(
                "TargetGroup",
                group.resource_id.as_str(),
                Operation::UpdateMany,
                format!(
                    "{removed} target users removed from target group '{}'",
                    group.name
                ),
            )
            .old(serde_json::json!({"removedUserCount": removed})),
        );
        tx.commit().await?;
        Ok(removed)
    }

    /// A group's users that are not deleted, counted by what they share.
    pub async fn target_group_user_counts(
        &self,
        group: &TargetGroupRow,
    ) -> Result<UserCounts, StoreError> {
        let domain = match self.backend {
            Backend::Sqlite => "substr(u.email_folded, instr(u.email_folded, '@') + 1)",
            Backend::Postgres => "split_part(u.email_folded, '@', 2)",
        };
        let sql = format!(
            "SELECT u.status_id, \
             CASE WHEN COALESCE(u.phone_number, '') <> '' THEN 1 ELSE 0 END AS has_phone, \
             CASE WHEN u.preferred_language_id IS NULL THEN 0 ELSE 1 END AS has_language, \
             CASE WHEN u.preferred_language_id = c.preferred_language_type_resource_id THEN 1 ELSE 0 END \
               AS company_language, \
             u.time_zone_id, {domain} AS email_domain, COUNT(*) AS n \
             FROM target_group_members m JOIN target_users u ON u.id = m.user_id \
             JOIN companies c ON c.id = u.company_id \
             WHERE m.group_id = $1 AND u.status_id <> {DELETED} \
             GROUP BY u.status_id, has_phone, has_language, company_language, u.time_zone_id, email_domain \
             ORDER BY u.status_id DESC, u.time_zone_id, email_domain"
        );
        let buckets = sqlx::query(&sql)
            .bind(group.key)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(UserCountRow {
                    status_id: r.try_get("status_id")?,
                    has_phone_number: flag(r.try_get("has_phone")?),
                    has_preferred_language: flag(r.try_get("has_language")?),
                    has_company_preferred_language: flag(r.try_get("company_language")?),
                    time_zone_id: r.try_get("time_zone_id")?,
                    email_domain: r.try_get("email_domain")?,
                    count: r.try_get("n")?,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        let company_preferred_language: Option<String> = sqlx::query(
            "SELECT l.name FROM companies c JOIN lookups l \
             ON l.resource_id = c.preferred_language_type_resource_id WHERE c.id = $1",
        )
        .bind(group.company.id)
        .fetch_optional(self.pool())
        .await?
        .map(|r| r.try_get("name"))
        .transpose()?;
        Ok(UserCounts {
            company_preferred_language,
            buckets,
        })
    }
}

/// Membership changes keep to one company: the users must be the groups' company's.
fn same_company(groups: &[TargetGroupRow], users: &MemberKeys) -> Result<(), StoreError> {
    if groups.iter().all(|g| g.company.id == users.company_id) {
        Ok(())
    } else {
        Err(StoreError::Refused(
            "Target users can only join groups of their own company".into(),
        ))
    }
}

/// The target-user search over a group's members (or, `outside`, the company's other users).
fn group_user_search(
    backend: Backend,
    scope: &CompanyScope,
    group: &TargetGroupRow,
    outside: bool,
    request: &SearchRequest,
) -> Result<SearchQuery<TargetUserRow>, StoreError> {
    if group.company.id != scope.company_id() {
        return Err(StoreError::Refused(
            "A group's users are searched in the group's own company".into(),
        ));
    }
    let among = if outside {
        Among::NotInGroup(group.key)
    } else {
        Among::InGroup(group.key)
    };
    user_query(
        backend,
        scope,
        among,
        request,
        format!("SELECT {USER_COLUMNS}"),
        user_row,
    )
}

/// The group search over `search.owners`.
fn group_search(
    backend: Backend,
    search: GroupSearch<'_>,
    request: &SearchRequest,
) -> Result<SearchQuery<TargetGroupRow>, StoreError> {
    let mut params = Params::new(backend);
    let within = reach_condition(search.owners, "c.path", &mut params);
    let system = params.int(i64::from(search.system_generated));
    let selected = match search.selected_users {
        Some(users) if !users.is_empty() => {
            let list: Vec<String> = users.keys.iter().map(|k| params.int(*k)).collect();
            let n = params.int(users.keys.len() as i64);
            format!(
                "CASE WHEN (SELECT COUNT(*) FROM target_group_members s WHERE s.group_id = g.id \
                 AND s.user_id IN ({})) = {n} THEN 1 ELSE 0 END",
                list.join(", ")
            )
        }
        _ => "0".to_owned(),
    };
    SearchQuery::new(
        &TARGET_GROUP_SEARCH,
        request,
        params,
        format!("{}, {selected} AS is_selected", group_columns()),
        |condition| {
            format!("{GROUP_FROM} WHERE {within} AND g.is_system = {system} AND {condition}")
        },
        group_row,
    )
}
