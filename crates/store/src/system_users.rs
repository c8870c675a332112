//! System users: the people of a company who sign in to the console.
//!
//! A user belongs to one company and holds roles the way REST API clients do (the built-in
//! ones, and custom roles available to the company). The email address is the sign-in name,
//! unique across the platform ignoring case. Passwords are Argon2id hashes, set through
//! one-time links whose tokens are stored only as keyed digests.
//!
//! Functions that act on a company's users take a [`CompanyScope`] or a [`Reach`]. The few that
//! find a user without one ([`Store::user_by_email`], [`Store::user_by_key`],
//! [`Store::password_token_user`]) are the inputs of authentication: sign-in, a signed-in
//! session, a one-time link. They hand nothing to a caller that has not proved who it is.

use std::collections::HashMap;

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::{CompanyRef, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::password::{TokenPurpose, after_failure};
use latchkey_domain::secret::SecretDigest;
use latchkey_domain::time::now_millis;
use latchkey_domain::user::Email;
use latchkey_proto::search::{Filter, SearchRequest};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::clients::RoleGrant;
use crate::companies::{company_ref, reach_condition};
use crate::error::OnUnique;
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Backend, Store, StoreError, flag};

pub use latchkey_domain::user::{STATUS_ACTIVE, STATUS_INACTIVE};

/// What the unique index on `email_folded` reports as already existing.
const DUPLICATE_EMAIL: &str = "A user with this email address";

/// A user to be created.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    pub phone_number: Option<String>,
    pub status_id: i64,
    pub role_keys: Vec<i64>,
}

/// The new state of a user. `role_keys: None` keeps the current roles.
#[derive(Debug, Clone)]
pub struct UserChanges {
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    pub phone_number: Option<String>,
    pub status_id: i64,
    pub role_keys: Option<Vec<i64>>,
}

/// What sign-in checks. `Debug` leaves the hash out.
#[derive(Clone, Default)]
pub struct Credentials {
    pub password_hash: Option<String>,
    pub failed_sign_ins: i64,
    pub locked_until: Option<i64>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("has_password", &self.password_hash.is_some())
            .field("failed_sign_ins", &self.failed_sign_ins)
            .field("locked_until", &self.locked_until)
            .finish()
    }
}

/// One user with their company and roles.
#[derive(Debug, Clone)]
pub struct UserRecord {
    pub key: i64,
    pub resource_id: ResourceId,
    pub company: CompanyRef,
    pub company_is_root: bool,
    pub first_name: String,
    pub last_name: String,
    pub email: Email,
    pub phone_number: Option<String>,
    pub status_id: i64,
    pub credentials: Credentials,
    pub roles: Vec<RoleGrant>,
    pub create_time: i64,
}

/// A row of `POST /api/system-users/search` and its export.
#[derive(Debug, Clone)]
pub struct UserSearchRow {
    pub key: i64,
    pub resource_id: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: Option<String>,
    pub status_id: i64,
    pub create_time: i64,
    pub company: CompanyRef,
    pub company_is_root: bool,
    /// Role names, comma-separated in name order.
    pub roles: Option<String>,
}

/// A user's display settings, falling back to their company's.
#[derive(Debug, Clone, Default)]
pub struct UserSettings {
    pub time_zone_id: Option<String>,
    pub time_zone_name: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
}

/// What users can be searched and sorted by.
pub const USER_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("FirstName", "u.first_name"),
        Field::text("LastName", "u.last_name"),
        Field::text_folded("Email", "u.email", "u.email_folded"),
        Field::text("PhoneNumber", "u.phone_number"),
        Field::text("CompanyName", "c.name"),
        Field::of("CompanyResourceId", "c.resource_id", Kind::Text),
        Field::of("ResourceId", "u.resource_id", Kind::Text),
        Field::of("StatusId", "u.status_id", Kind::Number),
        Field::of("Status", "u.status_id", Kind::Number),
        Field::of("CreateTime", "u.create_time", Kind::Date),
        Field::of("UpdateTime", "u.update_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "u.id",
};

const RECORD_SELECT: &str = "SELECT u.id AS user_key, u.resource_id AS user_resource_id, u.first_name, u.last_name, \
    u.email, u.phone_number, u.status_id, u.password_hash, u.failed_sign_ins, u.locked_until, \
    u.create_time AS user_create_time, c.id, c.resource_id, c.name, c.path, c.is_reseller, c.is_root \
    FROM system_users u JOIN companies c ON c.id = u.company_id";

fn record(row: &AnyRow) -> Result<UserRecord, StoreError> {
    Ok(UserRecord {
        key: row.try_get("user_key")?,
        resource_id: ResourceId::from_stored(row.try_get("user_resource_id")?),
        company: company_ref(row)?,
        company_is_root: flag(row.try_get("is_root")?),
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: Email::from_stored(row.try_get("email")?),
        phone_number: row.try_get("phone_number")?,
        status_id: row.try_get("status_id")?,
        credentials: Credentials {
            password_hash: row.try_get("password_hash")?,
            failed_sign_ins: row.try_get("failed_sign_ins")?,
            locked_until: row.try_get("locked_until")?,
        },
        roles: Vec::new(),
        create_time: row.try_get("user_create_time")?,
    })
}

/// The role names of `u.id`, comma-separated: one aggregate, spelled per backend (SQLite has
/// ordered `group_concat` since 3.44).
fn roles_column(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => {
            "(SELECT group_concat(r.name, ', ' ORDER BY r.name) FROM system_user_roles ur \
             JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id) AS roles"
        }
        Backend::Postgres => {
            "(SELECT string_agg(r.name, ', ' ORDER BY r.name) FROM system_user_roles ur \
             JOIN roles r ON r.id = ur.role_id WHERE ur.user_id = u.id) AS roles"
        }
    }
}

fn search_row(row: &AnyRow) -> Result<UserSearchRow, StoreError> {
    Ok(UserSearchRow {
        key: row.try_get("user_key")?,
        resource_id: row.try_get("user_resource_id")?,
        first_name: row.try_get("first_name")?,
        last_name: row.try_get("last_name")?,
        email: row.try_get("email")?,
        phone_number: row.try_get("phone_number")?,
        status_id: row.try_get("status_id")?,
        create_time: row.try_get("user_create_time")?,
        company: company_ref(row)?,
        company_is_root: flag(row.try_get("is_root")?),
        roles: row.try_get("roles")?,
    })
}

/// Inserts a user and their roles, inside the caller's transaction.
pub(crate) async fn insert_user(
    conn: &mut AnyConnection,
    company_id: i64,
    new: &NewUser,
) -> Result<(i64, ResourceId), StoreError> {
    let now = now_millis();
    let resource_id = ResourceId::generate();
    let key: i64 = sqlx::query(
        "INSERT INTO system_users (resource_id, company_id, first_name, last_name, email, email_folded, \
         phone_number, status_id, create_time, update_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(resource_id.as_str())
    .bind(company_id)
    .bind(new.first_name.as_str())
    .bind(new.last_name.as_str())
    .bind(new.email.as_str())
    .bind(new.email.folded())
    .bind(new.phone_number.as_deref())
    .bind(new.status_id)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .on_unique(DUPLICATE_EMAIL)?
    .try_get("id")?;
    for role in &new.role_keys {
        sqlx::query("INSERT INTO system_user_roles (user_id, role_id) VALUES ($1, $2)")
            .bind(key)
            .bind(role)
            .execute(&mut *conn)
            .await?;
    }
    Ok((key, resource_id))
}

/// Replaces the user's outstanding link with a new one, inside the caller's transaction.
pub(crate) async fn insert_password_token(
    conn: &mut AnyConnection,
    user_key: i64,
    digest: &SecretDigest,
    purpose: TokenPurpose,
    now: i64,
) -> Result<i64, StoreError> {
    // Only the newest link works; expired links of anyone are swept on the way.
    sqlx::query("DELETE FROM password_tokens WHERE user_id = $1 OR expires_at <= $2")
        .bind(user_key)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    let expires_at = now + purpose.lifetime_ms();
    sqlx::query(
        "INSERT INTO password_tokens (digest, user_id, purpose, expires_at, create_time) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest.as_bytes().to_vec())
    .bind(user_key)
    .bind(purpose.as_str())
    .bind(expires_at)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(expires_at)
}

impl Store {
    /// Creates a user in the scoped company with their roles.
    pub async fn create_user(
        &self,
        scope: &CompanyScope,
        new: &NewUser,
    ) -> Result<(i64, ResourceId), StoreError> {
        let mut tx = self.write(scope).await?;
        let created = insert_user(&mut tx, scope.company_id(), new).await?;
        let state = user_state(&mut tx, created.0).await?;
        tx.record(
            Entry::new(
                "SystemUser",
                created.1.as_str(),
                Operation::Create,
                format!("System user {} created", new.email.as_str()),
            )
            .new_state(state),
        );
        tx.commit().await?;
        Ok(created)
    }

    /// A user inside the reach, or `None` — also when they exist outside it, so that other
    /// tenants' ids are indistinguishable from unknown ones.
    pub async fn user_in_reach(
        &self,
        reach: &Reach,
        user: &ResourceId,
    ) -> Result<Option<UserRecord>, StoreError> {
        let mut params = Params::new(self.backend);
        let id = params.text(user.as_str());
        let within = reach_condition(reach, "c.path", &mut params);
        self.one_user(
            params,
            format!("{RECORD_SELECT} WHERE u.resource_id = {id} AND {within}"),
        )
        .await
    }

    /// The user with this email address inside the reach.
    pub async fn user_by_email_in_reach(
        &self,
        reach: &Reach,
        email: &str,
    ) -> Result<Option<UserRecord>, StoreError> {
        let mut params = Params::new(self.backend);
        let folded = params.text(latchkey_domain::user::fold(email));
        let within = reach_condition(reach, "c.path", &mut params);
        self.one_user(
            params,
            format!("{RECORD_SELECT} WHERE u.email_folded = {folded} AND {within}"),
        )
        .await
    }

    /// The user who signs in with `email`, for authentication and the operator's CLI.
    pub async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError> {
        let mut params = Params::new(self.backend);
        let folded = params.text(latchkey_domain::user::fold(email));
        self.one_user(
            params,
            format!("{RECORD_SELECT} WHERE u.email_folded = {folded}"),
        )
        .await
    }

    /// The user behind a signed-in session.
    pub async fn user_by_key(&self, key: i64) -> Result<Option<UserRecord>, StoreError> {
        let mut params = Params::new(self.backend);
        let k = params.int(key);
        self.one_user(params, format!("{RECORD_SELECT} WHERE u.id = {k}"))
            .await
    }

    async fn one_user(
        &self,
        params: Params,
        sql: String,
    ) -> Result<Option<UserRecord>, StoreError> {
        let Some(row) = params
            .apply(sqlx::query(&sql))
            .fetch_optional(self.pool())
            .await?
        else {
            return Ok(None);
        };
        let mut user = record(&row)?;
        user.roles = self
            .user_role_grants(&[user.key])
            .await?
            .remove(&user.key)
            .unwrap_or_default();
        Ok(Some(user))
    }

    /// Replaces a user's details (and roles, when given). A changed email address voids the
    /// user's outstanding set-password link: it was sent to the old address.
    pub async fn update_user(
        &self,
        scope: &CompanyScope,
        user_key: i64,
        changes: &UserChanges,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        let old = user_state(&mut tx, user_key).await?;
        let before: String =
            sqlx::query("SELECT email_folded FROM system_users WHERE id = $1 AND company_id = $2")
                .bind(user_key)
                .bind(scope.company_id())
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?
                .try_get("email_folded")?;
        sqlx::query(
            "UPDATE system_users SET first_name = $1, last_name = $2, email = $3, email_folded = $4, \
             phone_number = $5, status_id = $6, update_time = $7 WHERE id = $8",
        )
        .bind(changes.first_name.as_str())
        .bind(changes.last_name.as_str())
        .bind(changes.email.as_str())
        .bind(changes.email.folded())
        .bind(changes.phone_number.as_deref())
        .bind(changes.status_id)
        .bind(now_millis())
        .bind(user_key)
        .execute(&mut *tx)
        .await
        .on_unique(DUPLICATE_EMAIL)?;
        if before != changes.email.folded() {
            sqlx::query("DELETE FROM password_tokens WHERE user_id = $1")
                .bind(user_key)
                .execute(&mut *tx)
                .await?;
        }
        if let Some(roles) = &changes.role_keys {
            sqlx::query("DELETE FROM system_user_roles WHERE user_id = $1")
                .bind(user_key)
                .execute(&mut *tx)
                .await?;
            for role in roles {
                sqlx::query("INSERT INTO system_user_roles (user_id, role_id) VALUES ($1, $2)")
                    .bind(user_key)
                    .bind(role)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let new = user_state(&mut tx, user_key).await?;
        let id = new["resourceId"].as_str().unwrap_or_default().to_owned();
        tx.record(
            Entry::new(
                "SystemUser",
                id,
                Operation::Update,
                format!("System user {} updated", changes.email.as_str()),
            )
            .old(old)
            .new_state(new),
        );
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the users among `keys` that lie inside the reach; returns how many. `by` is the
    /// caller's scope; each deletion is recorded in the log of the user's company.
    pub async fn delete_users(
        &self,
        by: &CompanyScope,
        reach: &Reach,
        keys: &[i64],
    ) -> Result<u64, StoreError> {
        if keys.is_empty() {
            return Ok(0);
        }
        let mut params = Params::new(self.backend);
        let list: Vec<String> = keys.iter().map(|k| params.int(*k)).collect();
        let within = reach_condition(reach, "c.path", &mut params);
        let chosen = format!(
            "id IN ({}) AND company_id IN (SELECT c.id FROM companies c WHERE {within})",
            list.join(", ")
        );
        let mut tx = self.write(by).await?;
        let doomed = params
            .apply(sqlx::query(&format!(
                "SELECT id, company_id FROM system_users WHERE {chosen}"
            )))
            .fetch_all(&mut *tx)
            .await?;
        for row in &doomed {
            let key: i64 = row.try_get("id")?;
            let old = user_state(&mut tx, key).await?;
            let id = old["resourceId"].as_str().unwrap_or_default().to_owned();
            let email = old["email"].as_str().unwrap_or_default().to_owned();
            tx.record_for(
                row.try_get("company_id")?,
                Entry::new(
                    "SystemUser",
                    id,
                    Operation::Delete,
                    format!("System user {email} deleted"),
                )
                .old(old),
            );
        }
        let sql = format!("DELETE FROM system_users WHERE {chosen}");
        let done = params.apply(sqlx::query(&sql)).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(done.rows_affected())
    }

    /// Gives a user of the scoped company a role; giving one they hold changes nothing.
    pub async fn add_user_role(
        &self,
        scope: &CompanyScope,
        user_key: i64,
        role_key: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        let old = user_state(&mut tx, user_key).await?;
        sqlx::query(
            "INSERT INTO system_user_roles (user_id, role_id) \
             SELECT id, $1 FROM system_users WHERE id = $2 AND company_id = $3 \
             ON CONFLICT (user_id, role_id) DO NOTHING",
        )
        .bind(role_key)
        .bind(user_key)
        .bind(scope.company_id())
        .execute(&mut *tx)
        .await?;
        let new = user_state(&mut tx, user_key).await?;
        record_role_change(&mut tx, old, new, "given a role");
        tx.commit().await?;
        Ok(())
    }

    /// Takes a role from a user of the scoped company; `NotFound` when they do not hold it.
    pub async fn remove_user_role(
        &self,
        scope: &CompanyScope,
        user_key: i64,
        role_key: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        let old = user_state(&mut tx, user_key).await?;
        let done = sqlx::query(
            "DELETE FROM system_user_roles WHERE user_id = $1 AND role_id = $2 \
             AND user_id IN (SELECT id FROM system_users WHERE company_id = $3)",
        )
        .bind(user_key)
        .bind(role_key)
        .bind(scope.company_id())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let new = user_state(&mut tx, user_key).await?;
        record_role_change(&mut tx, old, new, "lost a role");
        tx.commit().await?;
        Ok(())
    }

    /// The roles behind `role_keys`, with the permission keys of custom ones: what giving them
    /// would grant.
    pub async fn role_grants(&self, role_keys: &[i64]) -> Result<Vec<RoleGrant>, StoreError> {
        if role_keys.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = Params::new(self.backend);
        let list = role_keys
            .iter()
            .map(|k| params.int(*k))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT r.id AS holder, r.id, r.resource_id, r.name, r.is_system FROM roles r \
             WHERE r.id IN ({list}) ORDER BY r.id"
        );
        let perms = format!(
            "SELECT rp.role_id, rp.permission_key FROM role_permissions rp \
             WHERE rp.role_id IN ({list}) ORDER BY rp.permission_key"
        );
        Ok(self
            .grants(&params, &sql, &perms)
            .await?
            .into_values()
            .flatten()
            .collect())
    }

    /// The roles of each of `user_keys`, with the permission keys of custom roles.
    pub async fn user_role_grants(
        &self,
        user_keys: &[i64],
    ) -> Result<HashMap<i64, Vec<RoleGrant>>, StoreError> {
        if user_keys.is_empty() {
            return Ok(HashMap::new());
        }
        let mut params = Params::new(self.backend);
        let list = user_keys
            .iter()
            .map(|k| params.int(*k))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT ur.user_id AS holder, r.id, r.resource_id, r.name, r.is_system \
             FROM system_user_roles ur JOIN roles r ON r.id = ur.role_id \
             WHERE ur.user_id IN ({list}) ORDER BY r.id"
        );
        let perms = format!(
            "SELECT rp.role_id, rp.permission_key FROM role_permissions rp WHERE rp.role_id IN \
             (SELECT ur.role_id FROM system_user_roles ur WHERE ur.user_id IN ({list})) \
             ORDER BY rp.permission_key"
        );
        self.grants(&params, &sql, &perms).await
    }

    /// One page of users in the reach, and the total count.
    pub async fn search_users(
        &self,
        reach: &Reach,
        request: &SearchRequest,
    ) -> Result<(Vec<UserSearchRow>, i64, Compiled), StoreError> {
        user_search(self.backend, reach, request)?.page(self).await
    }

    /// The rows of an export, streamed: memory stays constant however many match.
    pub fn export_users(
        &self,
        reach: &Reach,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<UserSearchRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(user_search(self.backend, reach, request)?.stream(self))
    }

    /// Every user in the reach that matches `filter`, unpaged (bulk deletion).
    pub async fn users_matching(
        &self,
        reach: &Reach,
        filter: Option<Filter>,
    ) -> Result<Vec<UserSearchRow>, StoreError> {
        let request = SearchRequest {
            filter,
            ..Default::default()
        };
        user_search(self.backend, reach, &request)?.all(self).await
    }
}

/// The user search within `reach`.
fn user_search(
    backend: Backend,
    reach: &Reach,
    request: &SearchRequest,
) -> Result<SearchQuery<UserSearchRow>, StoreError> {
    let mut params = Params::new(backend);
    let within = reach_condition(reach, "c.path", &mut params);
    let select = format!(
        "SELECT u.id AS user_key, u.resource_id AS user_resource_id, u.first_name, u.last_name, u.email, \
         u.phone_number, u.status_id, u.create_time AS user_create_time, \
         c.id, c.resource_id, c.name, c.path, c.is_reseller, c.is_root, {}",
        roles_column(backend)
    );
    SearchQuery::new(
        &USER_SEARCH,
        request,
        params,
        select,
        |condition| {
            format!(
                "FROM system_users u JOIN companies c ON c.id = u.company_id WHERE {within} AND {condition}"
            )
        },
        search_row,
    )
}

/// Passwords, one-time links and sign-in bookkeeping.
impl Store {
    /// Stores a new set-password link for the user (voiding any earlier one); returns when it
    /// expires.
    pub async fn issue_password_token(
        &self,
        scope: &CompanyScope,
        user_key: i64,
        digest: &SecretDigest,
        purpose: TokenPurpose,
    ) -> Result<i64, StoreError> {
        let mut tx = self.write(scope).await?;
        let expires_at =
            insert_password_token(&mut tx, user_key, digest, purpose, now_millis()).await?;
        let (id, email) = user_names(&mut tx, user_key).await?;
        tx.record(Entry::new(
            "PasswordLink",
            id,
            Operation::Create,
            format!(
                "A link to {} the password of {email} was issued",
                purpose_verb(purpose)
            ),
        ));
        tx.commit().await?;
        Ok(expires_at)
    }

    /// The user a still-valid link for `purpose` belongs to, without using it up.
    pub async fn password_token_user(
        &self,
        digest: &SecretDigest,
        purpose: TokenPurpose,
    ) -> Result<Option<UserRecord>, StoreError> {
        let row = sqlx::query(
            "SELECT user_id FROM password_tokens WHERE digest = $1 AND purpose = $2 AND expires_at > $3",
        )
        .bind(digest.as_bytes().to_vec())
        .bind(purpose.as_str())
        .bind(now_millis())
        .fetch_optional(self.pool())
        .await?;
        match row {
            Some(r) => self.user_by_key(r.try_get("user_id")?).await,
            None => Ok(None),
        }
    }

    /// Uses up the link and sets the password, in one transaction: of two requests with the
    /// same link, exactly one succeeds (the other gets `NotFound`). Setting a password also
    /// ends a lockout and voids every other link of the user.
    pub async fn set_password_with_token(
        &self,
        scope: &CompanyScope,
        digest: &SecretDigest,
        purpose: TokenPurpose,
        user_key: i64,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let mut tx = self.write(scope).await?;
        let used = sqlx::query(
            "DELETE FROM password_tokens WHERE digest = $1 AND purpose = $2 AND user_id = $3 AND expires_at > $4",
        )
        .bind(digest.as_bytes().to_vec())
        .bind(purpose.as_str())
        .bind(user_key)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if used.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        write_password(&mut tx, user_key, password_hash, now).await?;
        let (id, email) = user_names(&mut tx, user_key).await?;
        tx.record(Entry::new(
            "Password",
            id,
            Operation::Update,
            format!(
                "Password of {email} {} with a one-time link",
                match purpose {
                    TokenPurpose::Create => "set",
                    TokenPurpose::Reset => "reset",
                }
            ),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Sets a password the user chose while signed in (`change-password`).
    pub async fn set_password(
        &self,
        scope: &CompanyScope,
        user_key: i64,
        password_hash: &str,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        write_password(&mut tx, user_key, password_hash, now_millis()).await?;
        let (id, email) = user_names(&mut tx, user_key).await?;
        tx.record(Entry::new(
            "Password",
            id,
            Operation::Update,
            format!("Password of {email} changed by its user"),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// Counts a wrong password; returns the lock's end when this failure locked the account.
    /// The count is updated by compare-and-set, so concurrent failures are all counted. The
    /// failure (and a lockout) is recorded in the audit log.
    pub async fn record_sign_in_failure(
        &self,
        scope: &CompanyScope,
        user_key: i64,
    ) -> Result<Option<i64>, StoreError> {
        for _ in 0..16 {
            let now = now_millis();
            let Some(row) = sqlx::query(
                "SELECT failed_sign_ins, resource_id, email FROM system_users WHERE id = $1",
            )
            .bind(user_key)
            .fetch_optional(self.pool())
            .await?
            else {
                return Ok(None);
            };
            let id: String = row.try_get("resource_id")?;
            let email: String = row.try_get("email")?;
            let before: i64 = row.try_get("failed_sign_ins")?;
            let (after, lock) = after_failure(before, now);
            let done = match lock {
                Some(until) => sqlx::query(
                    "UPDATE system_users SET failed_sign_ins = $1, locked_until = $2 \
                     WHERE id = $3 AND failed_sign_ins = $4",
                )
                .bind(after)
                .bind(until)
                .bind(user_key)
                .bind(before),
                None => sqlx::query(
                    "UPDATE system_users SET failed_sign_ins = $1 WHERE id = $2 AND failed_sign_ins = $3",
                )
                .bind(after)
                .bind(user_key)
                .bind(before),
            };
            let mut tx = self.write(scope).await?;
            let done = done.execute(&mut *tx).await?;
            if done.rows_affected() == 1 {
                tx.record(Entry::new(
                    "SignIn",
                    id.as_str(),
                    Operation::Update,
                    format!(
                        "Console sign-in of {email} failed: wrong password ({} in a row)",
                        before + 1
                    ),
                ));
                if let Some(until) = lock {
                    tx.record(Entry::new(
                        "SignIn",
                        id.as_str(),
                        Operation::Update,
                        format!(
                            "{email} locked out after {} failed sign-ins, until {}",
                            before + 1,
                            latchkey_domain::time::millis_to_rfc3339(until)
                        ),
                    ));
                }
                tx.commit().await?;
                return Ok(lock);
            }
        }
        Err(StoreError::Refused(
            "Too many concurrent sign-in attempts".into(),
        ))
    }

    /// A successful sign-in: the failure count starts again.
    pub async fn record_sign_in_success(
        &self,
        scope: &CompanyScope,
        user_key: i64,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        sqlx::query(
            "UPDATE system_users SET failed_sign_ins = 0, locked_until = NULL, last_sign_in_at = $1 WHERE id = $2",
        )
        .bind(now_millis())
        .bind(user_key)
        .execute(&mut *tx)
        .await?;
        let (id, email) = user_names(&mut tx, user_key).await?;
        tx.record(Entry::new(
            "SignIn",
            id,
            Operation::Update,
            format!("{email} signed in to the console"),
        ));
        tx.commit().await?;
        Ok(())
    }

    /// A user's display settings, each falling back to their company's.
    pub async fn user_settings(&self, user_key: i64) -> Result<UserSettings, StoreError> {
        let row = sqlx::query(
            "SELECT COALESCE(u.time_zone_id, c.time_zone_id) AS time_zone_id, \
             COALESCE(u.date_format, c.date_format) AS date_format, \
             COALESCE(u.time_format, c.time_format) AS time_format \
             FROM system_users u JOIN companies c ON c.id = u.company_id WHERE u.id = $1",
        )
        .bind(user_key)
        .fetch_optional(self.pool())
        .await?
        .ok_or(StoreError::NotFound)?;
        let time_zone_id: Option<String> = row.try_get("time_zone_id")?;
        let time_zone_name = match &time_zone_id {
            Some(id) => sqlx::query("SELECT display_name FROM time_zones WHERE id = $1")
                .bind(id.as_str())
                .fetch_optional(self.pool())
                .await?
                .map(|r| r.try_get("display_name"))
                .transpose()?,
            None => None,
        };
        Ok(UserSettings {
            time_zone_id,
            time_zone_name,
            date_format: row.try_get("date_format")?,
            time_format: row.try_get("time_format")?,
        })
    }

    /// Stores a user's display settings (already checked against the reference data).
    pub async fn set_user_settings(
        &self,
        scope: &CompanyScope,
        user_key: i64,
        settings: &UserSettings,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        let done = sqlx::query(
            "UPDATE system_users SET time_zone_id = $1, date_format = $2, time_format = $3, update_time = $4 \
             WHERE id = $5",
        )
        .bind(settings.time_zone_id.as_deref())
        .bind(settings.date_format.as_deref())
        .bind(settings.time_format.as_deref())
        .bind(now_millis())
        .bind(user_key)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        let (id, email) = user_names(&mut tx, user_key).await?;
        tx.record(
            Entry::new(
                "SystemUserSettings",
                id,
                Operation::Update,
                format!("Display settings of {email} changed"),
            )
            .new_state(serde_json::json!({
                "timeZoneId": settings.time_zone_id,
                "dateFormat": settings.date_format,
                "timeFormat": settings.time_format,
            })),
        );
        tx.commit().await?;
        Ok(())
    }
}

/// A user as their audit records show them: details and roles, never credentials.
async fn user_state(conn: &mut AnyConnection, key: i64) -> Result<serde_json::Value, StoreError> {
    let row = sqlx::query(
        "SELECT resource_id, first_name, last_name, email, phone_number, status_id \
         FROM system_users WHERE id = $1",
    )
    .bind(key)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or(StoreError::NotFound)?;
    let roles = sqlx::query(
        "SELECT r.resource_id FROM system_user_roles ur JOIN roles r ON r.id = ur.role_id \
         WHERE ur.user_id = $1 ORDER BY r.id",
    )
    .bind(key)
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>("resource_id"))
    .collect::<Result<Vec<_>, _>>()?;
    Ok(serde_json::json!({
        "resourceId": row.try_get::<String, _>("resource_id")?,
        "firstName": row.try_get::<String, _>("first_name")?,
        "lastName": row.try_get::<String, _>("last_name")?,
        "email": row.try_get::<String, _>("email")?,
        "phoneNumber": row.try_get::<Option<String>, _>("phone_number")?,
        "statusId": row.try_get::<i64, _>("status_id")?,
        "roleResourceIdList": roles,
    }))
}

/// A user's resource id and email, for records' ids and descriptions.
async fn user_names(conn: &mut AnyConnection, key: i64) -> Result<(String, String), StoreError> {
    let row = sqlx::query("SELECT resource_id, email FROM system_users WHERE id = $1")
        .bind(key)
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    Ok((row.try_get("resource_id")?, row.try_get("email")?))
}

fn record_role_change(
    tx: &mut crate::audit::Write,
    old: serde_json::Value,
    new: serde_json::Value,
    what: &str,
) {
    let id = new["resourceId"].as_str().unwrap_or_default().to_owned();
    let email = new["email"].as_str().unwrap_or_default().to_owned();
    tx.record(
        Entry::new(
            "SystemUser",
            id,
            Operation::Update,
            format!("System user {email} {what}"),
        )
        .old(old)
        .new_state(new),
    );
}

fn purpose_verb(purpose: TokenPurpose) -> &'static str {
    match purpose {
        TokenPurpose::Create => "set",
        TokenPurpose::Reset => "reset",
    }
}

async fn write_password(
    conn: &mut AnyConnection,
    user_key: i64,
    password_hash: &str,
    now: i64,
) -> Result<(), StoreError> {
    let done = sqlx::query(
        "UPDATE system_users SET password_hash = $1, password_changed_at = $2, failed_sign_ins = 0, \
         locked_until = NULL, update_time = $2 WHERE id = $3",
    )
    .bind(password_hash)
    .bind(now)
    .bind(user_key)
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM password_tokens WHERE user_id = $1")
        .bind(user_key)
        .execute(&mut *conn)
        .await?;
    Ok(())
}
