//! Target users: the people of a company whom simulations and training are for.
//!
//! A tour:
//! - [`Store::target_user_rules`] loads what [`latchkey_domain::target_user::validate`] needs
//!   beyond the text: the company's custom fields and target groups, time zones, languages.
//! - [`Store::write_target_users`] is the one way users are created or changed: the API's
//!   create and update and the spreadsheet import all call it. One transaction per call, all or
//!   nothing: matching by email (ignoring case, live users of the company only), custom field
//!   values, group memberships, the company's `target_user_count`, the licence, and that
//!   required custom fields hold values afterwards.
//! - [`Store::delete_target_users`] marks users Deleted: the row is kept (readable through
//!   [`Store::target_users_by_ids`] with deleted ones included), the email is free again.
//! - Reads, and the search ([`TARGET_USER_SEARCH`]) on the one search engine.
//!
//! `target_user_count` counts the live users (Active and Inactive) and is what the licence
//! limits; deleting a user frees its place.

use std::collections::{HashMap, HashSet};

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{
    CustomFieldDef, FieldDataType, FieldOwner, GroupChange, Language, Priority, TargetUserDraft,
    TargetUserRules, TargetUserStatus, repeated_emails,
};
use latchkey_domain::time::{month_start_millis, now_millis};
use latchkey_proto::search::{Filter, FilterGroup, SearchRequest};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::custom_fields::GroupKey;
use crate::error::OnUnique;
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec, Trigram};
use crate::{Backend, Store, StoreError, flag};

/// What the unique index on live emails reports as already existing.
const DUPLICATE_EMAIL: &str = "A target user with this email address";

/// Rows per multi-row `INSERT` and entries per `IN (…)` list: far inside both stores' bind
/// limits (17 columns × 200 rows).
const CHUNK: usize = 200;

const DELETED: i64 = TargetUserStatus::Deleted.code();

/// The trigram index of the users' text fields (migration 0014).
const TEXT: Trigram = Trigram::table("target_users_text", "t.id");

/// What target users can be searched and sorted by. Priority and Status are matched by name
/// (`Status Include "Active,Inactive"`); free text looks at the email and the names. The
/// text fields are indexed for a million users (migration 0014): `=` and `StartsWith` on the
/// email by a b-tree, substrings of the email, the names and the department by trigrams.
pub const TARGET_USER_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text_folded("Email", "t.email", "t.email_folded")
            .prefix_indexed()
            .trigram(TEXT.column("email")),
        Field::text("FirstName", "t.first_name").trigram(TEXT.column("first_name")),
        Field::text("LastName", "t.last_name").trigram(TEXT.column("last_name")),
        Field::of("Department", "t.department", Kind::Text).trigram(TEXT.column("department")),
        Field::of("PhoneNumber", "t.phone_number", Kind::Text),
        Field::of("Priority", "t.priority", Kind::Enum(Priority::NAMES)),
        Field::of("Status", "t.status_id", Kind::Enum(TargetUserStatus::NAMES)),
        Field::of("CreateTime", "t.create_time", Kind::Date),
        Field::of("UpdateTime", "t.update_time", Kind::Date),
        Field::of("ResourceId", "t.resource_id", Kind::Text),
    ],
    default_order: "CreateTime",
    tiebreak: "t.id",
};

/// A target user as a scoped read found it. Only this crate builds one (`non_exhaustive`), so
/// one in hand proves the caller may act on the user.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TargetUserRow {
    pub key: i64,
    pub company_id: i64,
    pub resource_id: String,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub phone_number: Option<String>,
    pub priority: Priority,
    pub status: TargetUserStatus,
    pub time_zone_id: Option<String>,
    pub preferred_language_id: Option<String>,
    /// The language's name, for search rows.
    pub preferred_language: Option<String>,
    pub manager_first_name: Option<String>,
    pub manager_last_name: Option<String>,
    pub manager_email: Option<String>,
    pub create_time: i64,
    pub update_time: i64,
    pub delete_time: Option<i64>,
}

/// One custom field value of a user, with its field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldValueRow {
    pub field_resource_id: String,
    pub name: String,
    pub data_type: FieldDataType,
    pub value: String,
}

/// `GET /api/target-users/count-summary`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TargetUserCounts {
    pub active: i64,
    pub inactive: i64,
    pub deleted: i64,
    /// Active users created or changed since the start of the current calendar month (UTC).
    pub monthly_active: i64,
}

/// A target group of a user (`POST /api/target-users/{id}/groups`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserGroupRow {
    pub resource_id: String,
    pub name: String,
    pub priority: Priority,
    /// Live members.
    pub user_count: i64,
    pub is_scim_group: bool,
    pub is_google_group: bool,
    pub is_system: bool,
    pub create_time: i64,
    pub update_time: i64,
}

/// What a user's groups can be searched and sorted by.
pub const USER_GROUP_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Name", "g.name"),
        Field::of("Priority", "g.priority", Kind::Enum(Priority::NAMES)),
        Field::of("ResourceId", "g.resource_id", Kind::Text),
        Field::of("CreateTime", "g.create_time", Kind::Date),
        Field::of("UpdateTime", "g.update_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "g.id",
};

/// Which user a draft writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Match {
    /// The company's live user with the draft's email, or a new one (the import).
    Email,
    /// A new user; a live user with the email already is a conflict (`POST /api/target-users`).
    New,
    /// This user (`PUT /api/target-users/{id}`); the email may change, to one no other live
    /// user has.
    Existing(UserKey),
}

/// A user's key, taken from a scoped read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UserKey(i64);

impl From<&TargetUserRow> for UserKey {
    fn from(row: &TargetUserRow) -> Self {
        UserKey(row.key)
    }
}

impl Match {
    pub fn existing(row: &TargetUserRow) -> Self {
        Match::Existing(row.into())
    }
}

/// One user to write.
#[derive(Debug, Clone)]
pub struct TargetUserWrite {
    pub draft: TargetUserDraft,
    pub matching: Match,
}

/// What a write did: each user's resource id in the order given, and how many were new.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// The store's keys of the users written, in the order of the writes.
    pub keys: Vec<i64>,
    pub resource_ids: Vec<String>,
    pub created: usize,
    pub updated: usize,
}

/// Reference data target users are checked against, read once per process.
#[derive(Debug, Clone, Default)]
pub(crate) struct Reference {
    time_zones: Vec<String>,
    languages: Vec<Language>,
}

/// The import's view of a draft before writing: the live user it would update, with what
/// [`latchkey_domain::target_user::missing_required`] needs to know of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Existing {
    pub resource_id: String,
    /// Keys of the custom fields the user holds a value of.
    pub fields: Vec<i64>,
    /// Keys of the target groups the user is in.
    pub groups: Vec<i64>,
}

pub(crate) const USER_COLUMNS: &str = "t.id, t.company_id, t.resource_id, t.email, t.first_name, t.last_name, \
    t.department, t.phone_number, t.priority, t.status_id, t.time_zone_id, t.preferred_language_id, \
    (SELECT l.name FROM lookups l WHERE l.resource_id = t.preferred_language_id) AS preferred_language, \
    t.manager_first_name, t.manager_last_name, t.manager_email, t.create_time, t.update_time, t.delete_time";

pub(crate) fn user_row(r: &AnyRow) -> Result<TargetUserRow, StoreError> {
    let priority: i64 = r.try_get("priority")?;
    let status: i64 = r.try_get("status_id")?;
    Ok(TargetUserRow {
        key: r.try_get("id")?,
        company_id: r.try_get("company_id")?,
        resource_id: r.try_get("resource_id")?,
        email: r.try_get("email")?,
        first_name: r.try_get("first_name")?,
        last_name: r.try_get("last_name")?,
        department: r.try_get("department")?,
        phone_number: r.try_get("phone_number")?,
        priority: Priority::from_code(priority)
            .ok_or_else(|| StoreError::Corrupt(format!("target user priority {priority}")))?,
        status: TargetUserStatus::from_code(status)
            .ok_or_else(|| StoreError::Corrupt(format!("target user status {status}")))?,
        time_zone_id: r.try_get("time_zone_id")?,
        preferred_language_id: r.try_get("preferred_language_id")?,
        preferred_language: r.try_get("preferred_language")?,
        manager_first_name: r.try_get("manager_first_name")?,
        manager_last_name: r.try_get("manager_last_name")?,
        manager_email: r.try_get("manager_email")?,
        create_time: r.try_get("create_time")?,
        update_time: r.try_get("update_time")?,
        delete_time: r.try_get("delete_time")?,
    })
}

/// A user's own columns after a draft is applied, in the order of [`INSERT_COLUMNS`] after the
/// ids.
#[derive(Debug, Clone)]
struct Values {
    email: String,
    first_name: Option<String>,
    last_name: Option<String>,
    department: Option<String>,
    phone_number: Option<String>,
    priority: i64,
    status: i64,
    time_zone_id: Option<String>,
    preferred_language_id: Option<String>,
    manager_first_name: Option<String>,
    manager_last_name: Option<String>,
    manager_email: Option<String>,
}

/// How many resource ids a batch operation's record lists (the count is always there).
const BATCH_IDS_SHOWN: usize = 1000;

/// A stored user as its audit records show it.
fn row_state(u: &TargetUserRow) -> serde_json::Value {
    serde_json::json!({
        "resourceId": u.resource_id,
        "email": u.email,
        "firstName": u.first_name,
        "lastName": u.last_name,
        "department": u.department,
        "phoneNumber": u.phone_number,
        "priority": u.priority.name(),
        "status": u.status.name(),
        "timeZoneId": u.time_zone_id,
        "preferredLanguageId": u.preferred_language_id,
        "managerFirstName": u.manager_first_name,
        "managerLastName": u.manager_last_name,
        "managerEmail": u.manager_email,
    })
}

impl Values {
    /// The values as the audit record's new state shows them.
    fn state(&self) -> serde_json::Value {
        serde_json::json!({
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "department": self.department,
            "phoneNumber": self.phone_number,
            "priority": Priority::from_code(self.priority).map(Priority::name),
            "status": TargetUserStatus::from_code(self.status).map(TargetUserStatus::name),
            "timeZoneId": self.time_zone_id,
            "preferredLanguageId": self.preferred_language_id,
            "managerFirstName": self.manager_first_name,
            "managerLastName": self.manager_last_name,
            "managerEmail": self.manager_email,
        })
    }

    /// `draft` applied to `current` (a new user when `None`: defaults, Medium, Active).
    fn of(draft: &TargetUserDraft, current: Option<&TargetUserRow>) -> Self {
        let keep = |f: fn(&TargetUserRow) -> &Option<String>| current.and_then(|c| f(c).clone());
        Self {
            email: draft.email.as_str().to_owned(),
            first_name: draft.first_name.apply(keep(|c| &c.first_name)),
            last_name: draft.last_name.apply(keep(|c| &c.last_name)),
            department: draft.department.apply(keep(|c| &c.department)),
            phone_number: draft.phone_number.apply(keep(|c| &c.phone_number)),
            priority: draft
                .priority
                .apply(current.map(|c| c.priority).unwrap_or_default())
                .code(),
            status: draft
                .status
                .apply(
                    current
                        .map(|c| c.status)
                        .unwrap_or(TargetUserStatus::Active),
                )
                .code(),
            time_zone_id: draft.time_zone_id.apply(keep(|c| &c.time_zone_id)),
            preferred_language_id: draft
                .preferred_language_id
                .apply(keep(|c| &c.preferred_language_id)),
            manager_first_name: draft
                .manager_first_name
                .apply(keep(|c| &c.manager_first_name)),
            manager_last_name: draft
                .manager_last_name
                .apply(keep(|c| &c.manager_last_name)),
            manager_email: draft.manager_email.apply(keep(|c| &c.manager_email)),
        }
    }

    fn folded_email(&self) -> String {
        latchkey_domain::user::fold(&self.email)
    }
}

const INSERT_COLUMNS: &str = "resource_id, company_id, create_time, update_time, email, email_folded, \
    first_name, last_name, department, phone_number, priority, status_id, time_zone_id, \
    preferred_language_id, manager_first_name, manager_last_name, manager_email";

impl Store {
    /// What validating a target user of `scope`'s company needs to know.
    pub async fn target_user_rules(
        &self,
        scope: &CompanyScope,
    ) -> Result<TargetUserRules, StoreError> {
        self.rules(scope, None).await
    }

    /// The rules for writing users that name no target groups but `groups` (resource ids):
    /// what one create or update needs, without reading every group of the company.
    pub async fn target_user_rules_for(
        &self,
        scope: &CompanyScope,
        groups: &[String],
    ) -> Result<TargetUserRules, StoreError> {
        self.rules(scope, Some(groups)).await
    }

    async fn rules(
        &self,
        scope: &CompanyScope,
        only: Option<&[String]>,
    ) -> Result<TargetUserRules, StoreError> {
        let fields = self
            .custom_fields(scope)
            .await?
            .into_iter()
            .map(|f| CustomFieldDef {
                key: f.key,
                resource_id: f.resource_id,
                name: f.name,
                data_type: f.data_type,
                owner: f.owner,
                target_group: f.target_group_key,
                is_active: f.is_active,
                is_required: f.is_required,
            })
            .collect();
        let reference = self
            .reference
            .get_or_try_init(|| async {
                let time_zones = self.time_zones().await?.into_iter().map(|t| t.id).collect();
                let languages = self
                    .lookups_of_types(&[crate::lookups::PREFERRED_LANGUAGE_TYPE])
                    .await?
                    .into_iter()
                    .map(|l| Language {
                        resource_id: l.resource_id,
                        name: l.name,
                        code: l.code,
                    })
                    .collect();
                Ok::<_, StoreError>(Reference {
                    time_zones,
                    languages,
                })
            })
            .await?;
        let groups = match only {
            Some([]) => Vec::new(),
            Some(ids) => {
                let mut params = Params::new(self.backend);
                let company = params.int(scope.company_id());
                let list: Vec<String> = ids.iter().map(|id| params.text(id.trim())).collect();
                let sql = format!(
                    "SELECT id, resource_id FROM target_groups WHERE company_id = {company} \
                     AND resource_id IN ({})",
                    list.join(", ")
                );
                params
                    .apply(sqlx::query(&sql))
                    .fetch_all(self.pool())
                    .await?
            }
            None => {
                sqlx::query("SELECT id, resource_id FROM target_groups WHERE company_id = $1")
                    .bind(scope.company_id())
                    .fetch_all(self.pool())
                    .await?
            }
        }
        .iter()
        .map(|r| Ok((r.try_get("resource_id")?, r.try_get("id")?)))
        .collect::<Result<Vec<(String, i64)>, sqlx::Error>>()?;
        Ok(TargetUserRules::new(
            fields,
            reference.time_zones.iter().cloned(),
            reference.languages.iter().cloned(),
            groups,
        ))
    }

    /// Creates and updates target users of `scope`'s company, all in one transaction or none.
    ///
    /// Refused as a whole: an email given twice ([`StoreError::Invalid`]); a new user whose
    /// email a live user has, or an update to another live user's email
    /// ([`StoreError::Conflict`]); new users beyond the licence ([`StoreError::Refused`], with
    /// the numbers); a required custom field left without a value ([`StoreError::Invalid`]);
    /// a user, group or field that is no longer there ([`StoreError::NotFound`]).
    pub async fn write_target_users(
        &self,
        scope: &CompanyScope,
        writes: &[TargetUserWrite],
    ) -> Result<WriteReport, StoreError> {
        let mut tx = self.write(scope).await?;
        let report = self
            .write_target_users_in(&mut tx, scope, writes, writes.len() == 1)
            .await?;
        tx.commit().await?;
        Ok(report)
    }

    /// [`Store::write_target_users`] as part of a larger change, in its transaction. With
    /// `each`, every write is recorded with its old and new state; otherwise (an import) the
    /// log gets one record per kind of change.
    pub(crate) async fn write_target_users_in(
        &self,
        tx: &mut crate::audit::Write,
        scope: &CompanyScope,
        writes: &[TargetUserWrite],
        each: bool,
    ) -> Result<WriteReport, StoreError> {
        let repeated = repeated_emails(writes.iter().map(|w| &w.draft.email));
        if !repeated.is_empty() {
            return Err(StoreError::Invalid(
                repeated
                    .iter()
                    .map(|e| format!("Email {e} is given more than once"))
                    .collect(),
            ));
        }
        let company = scope.company_id();
        let now = now_millis();
        // Writing the company row first takes the write lock at once: on PostgreSQL it orders
        // concurrent writes to one company (so the email lookups below stay true until commit
        // and the count cannot be raced past the licence); on SQLite it avoids a read
        // transaction that fails when it later needs to write.
        let licence = sqlx::query(
            "UPDATE companies SET target_user_count = target_user_count WHERE id = $1 \
             RETURNING target_user_count, number_of_users, is_number_of_users_limited",
        )
        .bind(company)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let count: i64 = licence.try_get("target_user_count")?;
        let limit: i64 = licence.try_get("number_of_users")?;
        let limited = flag(licence.try_get("is_number_of_users_limited")?);

        let folded: Vec<String> = writes.iter().map(|w| w.draft.email.folded()).collect();
        let by_email = live_users_by_email(self.backend, tx, company, &folded).await?;
        let targets = users_by_keys(
            self.backend,
            tx,
            company,
            &writes
                .iter()
                .filter_map(|w| match w.matching {
                    Match::Existing(UserKey(k)) => Some(k),
                    _ => None,
                })
                .collect::<Vec<_>>(),
        )
        .await?;

        // Decide, for each write, which stored user it changes (none: a new one).
        let mut plan: Vec<Option<&TargetUserRow>> = Vec::with_capacity(writes.len());
        for (w, email) in writes.iter().zip(&folded) {
            let holder = by_email.get(email);
            let current = match &w.matching {
                Match::Email => holder,
                Match::New if holder.is_some() => {
                    return Err(StoreError::Conflict(DUPLICATE_EMAIL));
                }
                Match::New => None,
                Match::Existing(UserKey(k)) => {
                    let user = targets.get(k).ok_or(StoreError::NotFound)?;
                    if holder.is_some_and(|h| h.key != *k) {
                        return Err(StoreError::Conflict(DUPLICATE_EMAIL));
                    }
                    Some(user)
                }
            };
            plan.push(current);
        }
        let new = plan.iter().filter(|p| p.is_none()).count();
        let after = count + new as i64;
        if new > 0 && limited && after > limit {
            return Err(StoreError::Refused(format!(
                "The company's licence allows {limit} target users; it has {count}, and adding {new} would make {after}"
            )));
        }
        check_references(self.backend, tx, company, writes).await?;

        let mut keys = vec![0_i64; writes.len()];
        let mut resource_ids = vec![String::new(); writes.len()];
        let mut inserts: Vec<(usize, String, Values)> = Vec::new();
        for (i, (w, current)) in writes.iter().zip(&plan).enumerate() {
            let values = Values::of(&w.draft, *current);
            let rid = match current {
                Some(user) => user.resource_id.clone(),
                None => ResourceId::generate().to_string(),
            };
            if each {
                let entry = match current {
                    Some(user) => Entry::new(
                        "TargetUser",
                        rid.as_str(),
                        Operation::Update,
                        format!("Target user {} updated", values.email),
                    )
                    .old(row_state(user)),
                    None => Entry::new(
                        "TargetUser",
                        rid.as_str(),
                        Operation::Create,
                        format!("Target user {} created", values.email),
                    ),
                };
                tx.record(entry.new_state(values.state()));
            }
            match current {
                Some(user) => {
                    update_user(tx, user.key, &values, now).await?;
                    keys[i] = user.key;
                    resource_ids[i] = rid;
                }
                None => inserts.push((i, rid, values)),
            }
        }
        for chunk in inserts.chunks(self.backend.rows_per_statement(17)) {
            let created = insert_users(self.backend, tx, company, chunk, now).await?;
            for (i, rid, _) in chunk {
                keys[*i] = *created.get(rid).ok_or_else(|| {
                    StoreError::Corrupt(format!("inserted target user {rid} not returned"))
                })?;
                resource_ids[*i] = rid.clone();
            }
        }
        write_field_values(self.backend, tx, writes, &keys).await?;
        write_memberships(self.backend, tx, writes, &keys, now).await?;
        check_required_fields(self.backend, tx, company, &keys).await?;
        if new > 0 {
            sqlx::query("UPDATE companies SET target_user_count = $1 WHERE id = $2")
                .bind(after)
                .bind(company)
                .execute(&mut **tx)
                .await?;
        }
        if !each {
            for (operation, created) in [
                (Operation::CreateMany, true),
                (Operation::UpdateMany, false),
            ] {
                let ids: Vec<&str> = plan
                    .iter()
                    .zip(&resource_ids)
                    .filter(|(p, _)| p.is_none() == created)
                    .map(|(_, id)| id.as_str())
                    .collect();
                if ids.is_empty() {
                    continue;
                }
                let shown = &ids[..ids.len().min(BATCH_IDS_SHOWN)];
                tx.record(
                    Entry::new(
                        "TargetUser",
                        "",
                        operation,
                        format!(
                            "{} target users {}",
                            ids.len(),
                            if created { "created" } else { "updated" }
                        ),
                    )
                    .new_state(serde_json::json!({
                        "count": ids.len(),
                        "resourceIds": shown,
                    })),
                );
            }
        }
        Ok(WriteReport {
            keys,
            resource_ids,
            created: new,
            updated: writes.len() - new,
        })
    }

    /// For the import's preview: the live user of the company each draft's email names, if
    /// any (the row would update it; otherwise it creates one).
    pub async fn existing_target_users(
        &self,
        scope: &CompanyScope,
        drafts: &[&TargetUserDraft],
    ) -> Result<Vec<Option<Existing>>, StoreError> {
        let folded: Vec<String> = drafts.iter().map(|d| d.email.folded()).collect();
        let mut conn = self.pool().acquire().await?;
        let found =
            live_users_by_email(self.backend, &mut conn, scope.company_id(), &folded).await?;
        let keys: Vec<i64> = found.values().map(|u| u.key).collect();
        let mut fields: HashMap<i64, Vec<i64>> = HashMap::new();
        let mut groups: HashMap<i64, Vec<i64>> = HashMap::new();
        for chunk in keys.chunks(CHUNK) {
            for (table, column, into) in [
                ("target_user_field_values", "field_id", &mut fields),
                ("target_group_members", "group_id", &mut groups),
            ] {
                let mut params = Params::new(self.backend);
                let list: Vec<String> = chunk.iter().map(|k| params.int(*k)).collect();
                let sql = format!(
                    "SELECT user_id, {column} AS k FROM {table} WHERE user_id IN ({})",
                    list.join(", ")
                );
                for r in params
                    .apply(sqlx::query(&sql))
                    .fetch_all(&mut *conn)
                    .await?
                {
                    into.entry(r.try_get("user_id")?)
                        .or_default()
                        .push(r.try_get("k")?);
                }
            }
        }
        Ok(folded
            .iter()
            .map(|e| {
                found.get(e).map(|u| Existing {
                    resource_id: u.resource_id.clone(),
                    fields: fields.get(&u.key).cloned().unwrap_or_default(),
                    groups: groups.get(&u.key).cloned().unwrap_or_default(),
                })
            })
            .collect())
    }

    /// A live target user of the company.
    pub async fn target_user(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<TargetUserRow>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM target_users t \
             WHERE t.resource_id = $1 AND t.company_id = $2 AND t.status_id <> {DELETED}"
        ))
        .bind(id.as_str())
        .bind(scope.company_id())
        .fetch_optional(self.pool())
        .await?;
        row.as_ref().map(user_row).transpose()
    }

    /// The live target user of the company with this email (any case).
    pub async fn target_user_by_email(
        &self,
        scope: &CompanyScope,
        email: &str,
    ) -> Result<Option<TargetUserRow>, StoreError> {
        let folded = latchkey_domain::user::fold(email);
        let mut conn = self.pool().acquire().await?;
        Ok(live_users_by_email(
            self.backend,
            &mut conn,
            scope.company_id(),
            std::slice::from_ref(&folded),
        )
        .await?
        .remove(&folded))
    }

    /// The company's users among `ids` (deleted ones too when `include_deleted`), in id order,
    /// and the ids that name none of them.
    pub async fn target_users_by_ids(
        &self,
        scope: &CompanyScope,
        ids: &[String],
        include_deleted: bool,
    ) -> Result<(Vec<TargetUserRow>, Vec<String>), StoreError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(CHUNK) {
            let mut params = Params::new(self.backend);
            let company = params.int(scope.company_id());
            let list: Vec<String> = chunk.iter().map(|id| params.text(id.trim())).collect();
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM target_users t WHERE t.company_id = {company} \
                 AND t.resource_id IN ({}) ORDER BY t.id",
                list.join(", ")
            );
            for r in params
                .apply(sqlx::query(&sql))
                .fetch_all(self.pool())
                .await?
            {
                found.push(user_row(&r)?);
            }
        }
        let known: HashSet<&str> = found.iter().map(|u| u.resource_id.as_str()).collect();
        let missing = ids
            .iter()
            .filter(|id| !known.contains(id.trim()))
            .cloned()
            .collect();
        found.retain(|u| include_deleted || u.status != TargetUserStatus::Deleted);
        found.sort_by_key(|u| u.key);
        Ok((found, missing))
    }

    /// Custom field values of `users`, by user key, in field order.
    pub async fn target_user_field_values(
        &self,
        users: &[&TargetUserRow],
    ) -> Result<HashMap<i64, Vec<FieldValueRow>>, StoreError> {
        let mut out: HashMap<i64, Vec<FieldValueRow>> = HashMap::new();
        for chunk in users.chunks(CHUNK) {
            let mut params = Params::new(self.backend);
            let list: Vec<String> = chunk.iter().map(|u| params.int(u.key)).collect();
            let sql = format!(
                "SELECT v.user_id, v.value, f.resource_id, f.name, f.data_type \
                 FROM target_user_field_values v JOIN custom_fields f ON f.id = v.field_id \
                 WHERE v.user_id IN ({}) ORDER BY f.sort_order, f.name_folded, f.id",
                list.join(", ")
            );
            for r in params
                .apply(sqlx::query(&sql))
                .fetch_all(self.pool())
                .await?
            {
                let data_type: i64 = r.try_get("data_type")?;
                out.entry(r.try_get("user_id")?)
                    .or_default()
                    .push(FieldValueRow {
                        field_resource_id: r.try_get("resource_id")?,
                        name: r.try_get("name")?,
                        data_type: FieldDataType::from_code(data_type).ok_or_else(|| {
                            StoreError::Corrupt(format!("custom field data type {data_type}"))
                        })?,
                        value: r.try_get("value")?,
                    });
            }
        }
        Ok(out)
    }

    /// Marks `users` Deleted (rows kept, emails freed, group memberships ended) and lowers the
    /// company's count. Users deleted already are left as they are. Answers how many changed.
    pub async fn delete_target_users(
        &self,
        scope: &CompanyScope,
        users: &[TargetUserRow],
    ) -> Result<usize, StoreError> {
        let mut tx = self.write(scope).await?;
        let deleted = self.delete_target_users_in(&mut tx, scope, users).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    /// [`Store::delete_target_users`] as part of a larger change, in its transaction.
    pub(crate) async fn delete_target_users_in(
        &self,
        tx: &mut crate::audit::Write,
        scope: &CompanyScope,
        users: &[TargetUserRow],
    ) -> Result<usize, StoreError> {
        let now = now_millis();
        sqlx::query("UPDATE companies SET target_user_count = target_user_count WHERE id = $1")
            .bind(scope.company_id())
            .execute(&mut **tx)
            .await?;
        let mut deleted = 0;
        for chunk in users.chunks(CHUNK) {
            let mut params = Params::new(self.backend);
            let at = params.int(now);
            let company = params.int(scope.company_id());
            let list: Vec<String> = chunk.iter().map(|u| params.int(u.key)).collect();
            let list = list.join(", ");
            let sql = format!(
                "UPDATE target_users SET status_id = {DELETED}, delete_time = {at}, update_time = {at} \
                 WHERE company_id = {company} AND status_id <> {DELETED} AND id IN ({list})"
            );
            deleted += params
                .apply(sqlx::query(&sql))
                .execute(&mut **tx)
                .await?
                .rows_affected();
            // Every user of the list that is deleted now, by this call or before, leaves its groups.
            let mut params = Params::new(self.backend);
            let company = params.int(scope.company_id());
            let list: Vec<String> = chunk.iter().map(|u| params.int(u.key)).collect();
            let list = list.join(", ");
            let sql = format!(
                "DELETE FROM target_group_members WHERE user_id IN \
                 (SELECT id FROM target_users WHERE company_id = {company} AND status_id = {DELETED} AND id IN ({list}))"
            );
            params.apply(sqlx::query(&sql)).execute(&mut **tx).await?;
        }
        sqlx::query(
            "UPDATE companies SET target_user_count = CASE WHEN target_user_count > $1 \
             THEN target_user_count - $1 ELSE 0 END WHERE id = $2",
        )
        .bind(deleted as i64)
        .bind(scope.company_id())
        .execute(&mut **tx)
        .await?;
        let entry = match users {
            [user] => Entry::new(
                "TargetUser",
                user.resource_id.as_str(),
                Operation::Delete,
                format!("Target user {} deleted", user.email),
            )
            .old(row_state(user)),
            _ => {
                let ids: Vec<&str> = users.iter().map(|u| u.resource_id.as_str()).collect();
                Entry::new(
                    "TargetUser",
                    "",
                    Operation::DeleteMany,
                    format!("{deleted} target users deleted"),
                )
                .old(serde_json::json!({
                    "count": deleted,
                    "resourceIds": &ids[..ids.len().min(BATCH_IDS_SHOWN)],
                }))
            }
        };
        tx.record(entry);
        Ok(deleted as usize)
    }

    /// One page of the company's users matching `request`; deleted users only when the filter
    /// asks for Status Deleted.
    pub async fn search_target_users(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<(Vec<TargetUserRow>, i64, Compiled), StoreError> {
        user_search(self.backend, scope, request)?.page(self).await
    }

    /// Every match of an export, streamed.
    pub fn export_target_users(
        &self,
        scope: &CompanyScope,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<TargetUserRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(user_search(self.backend, scope, request)?.stream(self))
    }

    /// Every user matching `filter`, unpaged (`selectAll` bulk deletion).
    pub async fn target_users_matching(
        &self,
        scope: &CompanyScope,
        filter: Option<Filter>,
    ) -> Result<Vec<TargetUserRow>, StoreError> {
        let request = SearchRequest {
            filter,
            ..Default::default()
        };
        user_search(self.backend, scope, &request)?.all(self).await
    }

    /// The company's users by status, and the monthly active ones: counts the database keeps
    /// (the live users with the licence, the others by migration 0014's triggers), where
    /// counting a million users would take a tenth of a second.
    pub async fn target_user_counts(
        &self,
        scope: &CompanyScope,
    ) -> Result<TargetUserCounts, StoreError> {
        let r = sqlx::query(
            "SELECT c.target_user_count - s.inactive_target_user_count AS active, \
             s.inactive_target_user_count AS inactive, s.deleted_target_user_count AS deleted, \
             COALESCE((SELECT m.active_count FROM target_user_months m \
                WHERE m.company_id = c.id AND m.month = $2), 0) AS monthly \
             FROM companies c JOIN company_search s ON s.id = c.id WHERE c.id = $1",
        )
        .bind(scope.company_id())
        .bind(month_start_millis())
        .fetch_one(self.pool())
        .await?;
        Ok(TargetUserCounts {
            active: r.try_get("active")?,
            inactive: r.try_get("inactive")?,
            deleted: r.try_get("deleted")?,
            monthly_active: r.try_get("monthly")?,
        })
    }

    /// The active users of the company, or those of the listed groups (each user once), in id
    /// order: whom enrollment emails would go to.
    pub async fn active_target_users(
        &self,
        scope: &CompanyScope,
        groups: Option<&[GroupKey]>,
    ) -> Result<Vec<TargetUserRow>, StoreError> {
        let mut params = Params::new(self.backend);
        let company = params.int(scope.company_id());
        let active = params.int(TargetUserStatus::Active.code());
        let in_groups = match groups {
            None => String::new(),
            Some(keys) => {
                let list: Vec<String> = keys.iter().map(|k| params.int(k.0)).collect();
                format!(
                    " AND t.id IN (SELECT m.user_id FROM target_group_members m \
                     JOIN target_groups g ON g.id = m.group_id \
                     WHERE g.company_id = {company} AND m.group_id IN ({}))",
                    if list.is_empty() {
                        "NULL".to_owned()
                    } else {
                        list.join(", ")
                    }
                )
            }
        };
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM target_users t \
             WHERE t.company_id = {company} AND t.status_id = {active}{in_groups} ORDER BY t.id"
        );
        params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(user_row)
            .collect()
    }

    /// One page of a user's target groups.
    pub async fn search_user_groups(
        &self,
        user: &TargetUserRow,
        request: &SearchRequest,
    ) -> Result<(Vec<UserGroupRow>, i64, Compiled), StoreError> {
        let mut params = Params::new(self.backend);
        let u = params.int(user.key);
        let company = params.int(user.company_id);
        SearchQuery::new(
            &USER_GROUP_SEARCH,
            request,
            params,
            format!(
                "SELECT g.resource_id, g.name, g.priority, g.is_scim_group, g.is_google_group, \
                 g.is_system, g.create_time, g.update_time, \
                 (SELECT COUNT(*) FROM target_group_members c JOIN target_users cu ON cu.id = c.user_id \
                  WHERE c.group_id = g.id AND cu.status_id <> {DELETED}) AS user_count"
            ),
            |condition| {
                format!(
                    "FROM target_groups g JOIN target_group_members m ON m.group_id = g.id \
                     WHERE m.user_id = {u} AND g.company_id = {company} AND {condition}"
                )
            },
            group_row,
        )?
        .page(self)
        .await
    }
}

fn group_row(r: &AnyRow) -> Result<UserGroupRow, StoreError> {
    let priority: i64 = r.try_get("priority")?;
    Ok(UserGroupRow {
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        priority: Priority::from_code(priority)
            .ok_or_else(|| StoreError::Corrupt(format!("target group priority {priority}")))?,
        user_count: r.try_get("user_count")?,
        is_scim_group: flag(r.try_get("is_scim_group")?),
        is_google_group: flag(r.try_get("is_google_group")?),
        is_system: flag(r.try_get("is_system")?),
        create_time: r.try_get("create_time")?,
        update_time: r.try_get("update_time")?,
    })
}

/// The search over a company's users.
fn user_search(
    backend: crate::Backend,
    scope: &CompanyScope,
    request: &SearchRequest,
) -> Result<SearchQuery<TargetUserRow>, StoreError> {
    user_query(
        backend,
        scope,
        Among::All,
        request,
        format!("SELECT {USER_COLUMNS}"),
        user_row,
    )
}

/// Which of a company's users a search covers.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Among {
    All,
    /// The members of the target group with this key.
    InGroup(i64),
    /// The users who are not members of it.
    NotInGroup(i64),
}

/// The search over the company's users that `among` covers, read by `select` and `row`.
/// Deleted users are left out unless the filter asks for them by status.
pub(crate) fn user_query<T: Send + 'static>(
    backend: crate::Backend,
    scope: &CompanyScope,
    among: Among,
    request: &SearchRequest,
    select: String,
    row: fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<SearchQuery<T>, StoreError> {
    let mut params = Params::new(backend);
    let company = params.int(scope.company_id());
    let deleted_too = asks_for_deleted(request.filter.as_ref());
    let live = if deleted_too {
        String::new()
    } else {
        format!(" AND t.status_id <> {DELETED}")
    };
    let members = "SELECT m.user_id FROM target_group_members m WHERE m.group_id =";
    let (among_sql, everyone) = match among {
        Among::All => (String::new(), true),
        Among::InGroup(g) => (format!(" AND t.id IN ({members} {})", params.int(g)), false),
        Among::NotInGroup(g) => (
            format!(" AND t.id NOT IN ({members} {})", params.int(g)),
            false,
        ),
    };
    let search = SearchQuery::new(
        &TARGET_USER_SEARCH,
        request,
        params,
        select,
        |condition| {
            format!(
                "FROM target_users t WHERE t.company_id = {company}{live}{among_sql} AND {condition}"
            )
        },
        row,
    )?;
    if deleted_too || !everyone {
        return Ok(search);
    }
    // All the live users: the count the write path keeps, where counting them would read a
    // million index entries.
    let mut count = Params::new(backend);
    let company = count.int(scope.company_id());
    Ok(search.unfiltered_total(
        format!("SELECT target_user_count AS n FROM companies WHERE id = {company}"),
        count,
    ))
}

/// Whether any item of the filter names the Deleted status (`Status = Deleted`,
/// `Status Include "Active,Deleted"`).
fn asks_for_deleted(filter: Option<&Filter>) -> bool {
    fn in_group(g: &FilterGroup) -> bool {
        g.filter_items.iter().flatten().any(|item| {
            let named = item
                .field_name
                .as_deref()
                .is_some_and(|n| n.trim().eq_ignore_ascii_case("Status"));
            let value = match &item.value {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(other) => other.to_string(),
                None => String::new(),
            };
            named
                && value
                    .split(',')
                    .any(|v| TargetUserStatus::parse(v) == Some(TargetUserStatus::Deleted))
        }) || g.filter_groups.iter().flatten().any(in_group)
    }
    filter.is_some_and(|f| f.filter_groups.iter().flatten().any(in_group))
}

/// The company's live users with these folded emails, by folded email.
async fn live_users_by_email(
    backend: Backend,
    conn: &mut AnyConnection,
    company: i64,
    folded: &[String],
) -> Result<HashMap<String, TargetUserRow>, StoreError> {
    let mut out = HashMap::new();
    for chunk in folded.chunks(CHUNK) {
        let mut params = Params::new(backend);
        let c = params.int(company);
        let list: Vec<String> = chunk.iter().map(|e| params.text(e.clone())).collect();
        let sql = format!(
            "SELECT {USER_COLUMNS}, t.email_folded FROM target_users t WHERE t.company_id = {c} \
             AND t.status_id <> {DELETED} AND t.email_folded IN ({})",
            list.join(", ")
        );
        for r in params
            .apply(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await?
        {
            out.insert(r.try_get("email_folded")?, user_row(&r)?);
        }
    }
    Ok(out)
}

/// The company's live users with these keys, by key.
async fn users_by_keys(
    backend: Backend,
    conn: &mut AnyConnection,
    company: i64,
    keys: &[i64],
) -> Result<HashMap<i64, TargetUserRow>, StoreError> {
    let mut out = HashMap::new();
    for chunk in keys.chunks(CHUNK) {
        let mut params = Params::new(backend);
        let c = params.int(company);
        let list: Vec<String> = chunk.iter().map(|k| params.int(*k)).collect();
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM target_users t WHERE t.company_id = {c} \
             AND t.status_id <> {DELETED} AND t.id IN ({})",
            list.join(", ")
        );
        for r in params
            .apply(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let u = user_row(&r)?;
            out.insert(u.key, u);
        }
    }
    Ok(out)
}

/// Every custom field and target group the drafts name must be the company's: drafts come
/// from rules of the same scope, and a field or group deleted since is caught here.
async fn check_references(
    backend: Backend,
    conn: &mut AnyConnection,
    company: i64,
    writes: &[TargetUserWrite],
) -> Result<(), StoreError> {
    let mut fields = HashSet::new();
    let mut groups = HashSet::new();
    for w in writes {
        fields.extend(w.draft.custom_values.iter().map(|(k, _)| *k));
        if let GroupChange::Add(keys) | GroupChange::Replace(keys) = &w.draft.groups {
            groups.extend(keys.iter().copied());
        }
    }
    for (table, keys) in [("custom_fields", fields), ("target_groups", groups)] {
        let keys: Vec<i64> = keys.into_iter().collect();
        for chunk in keys.chunks(CHUNK) {
            let mut params = Params::new(backend);
            let c = params.int(company);
            let list: Vec<String> = chunk.iter().map(|k| params.int(*k)).collect();
            let sql = format!(
                "SELECT COUNT(*) AS n FROM {table} WHERE company_id = {c} AND id IN ({})",
                list.join(", ")
            );
            let n: i64 = params
                .apply(sqlx::query(&sql))
                .fetch_one(&mut *conn)
                .await?
                .try_get("n")?;
            if n != chunk.len() as i64 {
                return Err(StoreError::NotFound);
            }
        }
    }
    Ok(())
}

async fn update_user(
    conn: &mut AnyConnection,
    key: i64,
    v: &Values,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE target_users SET email = $1, email_folded = $2, first_name = $3, last_name = $4, \
         department = $5, phone_number = $6, priority = $7, status_id = $8, time_zone_id = $9, \
         preferred_language_id = $10, manager_first_name = $11, manager_last_name = $12, \
         manager_email = $13, update_time = $14 WHERE id = $15",
    )
    .bind(v.email.clone())
    .bind(v.folded_email())
    .bind(v.first_name.clone())
    .bind(v.last_name.clone())
    .bind(v.department.clone())
    .bind(v.phone_number.clone())
    .bind(v.priority)
    .bind(v.status)
    .bind(v.time_zone_id.clone())
    .bind(v.preferred_language_id.clone())
    .bind(v.manager_first_name.clone())
    .bind(v.manager_last_name.clone())
    .bind(v.manager_email.clone())
    .bind(now)
    .bind(key)
    .execute(&mut *conn)
    .await
    .on_unique(DUPLICATE_EMAIL)?;
    Ok(())
}

/// Inserts one chunk of new users with a single statement; answers their keys by resource id.
async fn insert_users(
    backend: Backend,
    conn: &mut AnyConnection,
    company: i64,
    rows: &[(usize, String, Values)],
    now: i64,
) -> Result<HashMap<String, i64>, StoreError> {
    let mut params = Params::new(backend);
    let mut tuples = Vec::with_capacity(rows.len());
    for (_, rid, v) in rows {
        let cells = [
            params.text(rid.clone()),
            params.int(company),
            params.int(now),
            params.int(now),
            params.text(v.email.clone()),
            params.text(v.folded_email()),
            params.optional_text(v.first_name.as_deref()),
            params.optional_text(v.last_name.as_deref()),
            params.optional_text(v.department.as_deref()),
            params.optional_text(v.phone_number.as_deref()),
            params.int(v.priority),
            params.int(v.status),
            params.optional_text(v.time_zone_id.as_deref()),
            params.optional_text(v.preferred_language_id.as_deref()),
            params.optional_text(v.manager_first_name.as_deref()),
            params.optional_text(v.manager_last_name.as_deref()),
            params.optional_text(v.manager_email.as_deref()),
        ];
        tuples.push(format!("({})", cells.join(", ")));
    }
    let sql = format!(
        "INSERT INTO target_users ({INSERT_COLUMNS}) VALUES {} RETURNING id, resource_id",
        tuples.join(", ")
    );
    params
        .apply(sqlx::query(&sql))
        .fetch_all(&mut *conn)
        .await
        .on_unique(DUPLICATE_EMAIL)?
        .iter()
        .map(|r| Ok((r.try_get("resource_id")?, r.try_get("id")?)))
        .collect()
}

/// A nullable text cell: SQL `NULL` itself rather than a bind, since the binds are typed.
async fn write_field_values(
    backend: Backend,
    conn: &mut AnyConnection,
    writes: &[TargetUserWrite],
    keys: &[i64],
) -> Result<(), StoreError> {
    let mut set: Vec<(i64, i64, &str)> = Vec::new();
    let mut cleared: Vec<(i64, i64)> = Vec::new();
    for (w, user) in writes.iter().zip(keys) {
        for (field, value) in &w.draft.custom_values {
            match value {
                Some(v) => set.push((*user, *field, v)),
                None => cleared.push((*user, *field)),
            }
        }
    }
    for (user, field) in cleared {
        sqlx::query("DELETE FROM target_user_field_values WHERE user_id = $1 AND field_id = $2")
            .bind(user)
            .bind(field)
            .execute(&mut *conn)
            .await?;
    }
    for chunk in set.chunks(backend.rows_per_statement(3)) {
        let mut params = Params::new(backend);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|(u, f, v)| {
                format!(
                    "({}, {}, {})",
                    params.int(*u),
                    params.int(*f),
                    params.text(*v)
                )
            })
            .collect();
        let sql = format!(
            "INSERT INTO target_user_field_values (user_id, field_id, value) VALUES {} \
             ON CONFLICT (user_id, field_id) DO UPDATE SET value = excluded.value",
            tuples.join(", ")
        );
        params.apply(sqlx::query(&sql)).execute(&mut *conn).await?;
    }
    Ok(())
}

async fn write_memberships(
    backend: Backend,
    conn: &mut AnyConnection,
    writes: &[TargetUserWrite],
    keys: &[i64],
    now: i64,
) -> Result<(), StoreError> {
    let mut added: Vec<(i64, i64)> = Vec::new();
    for (w, user) in writes.iter().zip(keys) {
        let groups = match &w.draft.groups {
            GroupChange::Keep => continue,
            GroupChange::Add(groups) => groups,
            GroupChange::Replace(groups) => {
                let mut params = Params::new(backend);
                let u = params.int(*user);
                let keep: Vec<String> = groups.iter().map(|g| params.int(*g)).collect();
                let except = if keep.is_empty() {
                    String::new()
                } else {
                    format!(" AND group_id NOT IN ({})", keep.join(", "))
                };
                let sql = format!("DELETE FROM target_group_members WHERE user_id = {u}{except}");
                params.apply(sqlx::query(&sql)).execute(&mut *conn).await?;
                groups
            }
        };
        added.extend(groups.iter().map(|g| (*g, *user)));
    }
    for chunk in added.chunks(backend.rows_per_statement(2)) {
        let mut params = Params::new(backend);
        let at = params.int(now);
        let tuples: Vec<String> = chunk
            .iter()
            .map(|(g, u)| format!("({}, {}, {at})", params.int(*g), params.int(*u)))
            .collect();
        let sql = format!(
            "INSERT INTO target_group_members (group_id, user_id, added_time) VALUES {} \
             ON CONFLICT (group_id, user_id) DO NOTHING",
            tuples.join(", ")
        );
        params.apply(sqlx::query(&sql)).execute(&mut *conn).await?;
    }
    Ok(())
}

/// Refuses the write when a written user lacks a value for an active required field that
/// applies to it: a TargetUser field, or a TargetGroup field of a group the user is in.
async fn check_required_fields(
    backend: Backend,
    conn: &mut AnyConnection,
    company: i64,
    users: &[i64],
) -> Result<(), StoreError> {
    let required: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM custom_fields WHERE company_id = $1 AND is_active = 1 AND is_required = 1",
    )
    .bind(company)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    if required == 0 {
        return Ok(());
    }
    let group_owned = FieldOwner::TargetGroup.code();
    let mut problems = Vec::new();
    for chunk in users.chunks(CHUNK) {
        let mut params = Params::new(backend);
        let c = params.int(company);
        let list: Vec<String> = chunk.iter().map(|u| params.int(*u)).collect();
        let sql = format!(
            "SELECT u.email, f.name FROM target_users u JOIN custom_fields f ON f.company_id = u.company_id \
             WHERE u.company_id = {c} AND u.id IN ({}) AND f.is_active = 1 AND f.is_required = 1 \
             AND (f.owner_type <> {group_owned} OR EXISTS (SELECT 1 FROM target_group_members m \
                  WHERE m.user_id = u.id AND m.group_id = f.target_group_id)) \
             AND NOT EXISTS (SELECT 1 FROM target_user_field_values v WHERE v.user_id = u.id AND v.field_id = f.id) \
             ORDER BY u.id, f.name LIMIT 10",
            list.join(", ")
        );
        for r in params
            .apply(sqlx::query(&sql))
            .fetch_all(&mut *conn)
            .await?
        {
            let (email, field): (String, String) = (r.try_get("email")?, r.try_get("name")?);
            problems.push(format!(
                "Custom field {field} is required ({email} has no value)"
            ));
        }
        if !problems.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn deleted_users_are_searched_only_when_asked_for() {
        let filter =
            |v: serde_json::Value| -> Option<Filter> { serde_json::from_value(v).expect("filter") };
        assert!(!asks_for_deleted(None));
        assert!(!asks_for_deleted(filter(json!({"filterGroups": [
            {"filterItems": [{"fieldName": "Status", "operator": "Include", "value": "Active,Inactive"}]}]}))
        .as_ref()));
        assert!(asks_for_deleted(filter(json!({"filterGroups": [{"filterGroups": [
            {"filterItems": [{"fieldName": "status", "operator": "Include", "value": "Active, deleted"}]}]}]}))
        .as_ref()));
        assert!(!asks_for_deleted(
            filter(json!({"filterGroups": [
            {"filterItems": [{"fieldName": "Email", "operator": "=", "value": "Deleted"}]}]}))
            .as_ref()
        ));
    }
}
