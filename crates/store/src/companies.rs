//! Companies and the tree they form.

use latchkey_domain::audit::{Entry, Operation};
use latchkey_domain::authz::{CompanyRef, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::{month_start_millis, now_millis};
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::OnUnique;
use latchkey_proto::search::{Filter, SearchRequest};

use crate::meta::{CLIENTS_REVISION, bump};
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Store, StoreError, flag};

/// What it takes to add a company under a parent.
#[derive(Debug, Clone)]
pub struct NewCompany {
    pub name: String,
    pub is_reseller: bool,
    pub industry_name: Option<String>,
    pub description: Option<String>,
}

/// A company with what `GET /api/companies/my` shows.
#[derive(Debug, Clone)]
pub struct CompanyNode {
    pub reference: CompanyRef,
    pub parent_id: Option<i64>,
    pub logo_url: Option<String>,
    pub create_time: i64,
}

const REF_COLUMNS: &str = "c.id, c.resource_id, c.name, c.path, c.is_reseller";

pub(crate) fn company_ref(row: &AnyRow) -> Result<CompanyRef, sqlx::Error> {
    Ok(CompanyRef {
        id: row.try_get("id")?,
        resource_id: ResourceId::from_stored(row.try_get("resource_id")?),
        name: row.try_get("name")?,
        path: row.try_get("path")?,
        is_reseller: flag(row.try_get("is_reseller")?),
    })
}

/// The SQL condition that selects the companies a [`Reach`] covers, reading the company path
/// from `column`. `path` is byte-ordered, so a subtree is the range `[p, p')` where `p'` is `p`
/// with its final `/` replaced by the next byte, `0`.
pub(crate) fn reach_condition(reach: &Reach, column: &str, params: &mut Params) -> String {
    let c = reach.root();
    if reach.is_subtree() {
        let upper = format!("{}0", c.path.trim_end_matches('/'));
        let low = params.text(c.path.clone());
        let high = params.text(upper);
        format!("{column} >= {low} AND {column} < {high}")
    } else {
        format!("{column} = {}", params.text(c.path.clone()))
    }
}

impl Store {
    /// The platform root, if the database has been bootstrapped.
    pub async fn root_company(&self) -> Result<Option<CompanyRef>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REF_COLUMNS} FROM companies c WHERE c.is_root = 1"
        ))
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| company_ref(&r)).transpose()?)
    }

    /// Creates a company under the scoped one.
    pub async fn create_company(
        &self,
        parent: &CompanyScope,
        new: &NewCompany,
    ) -> Result<CompanyRef, StoreError> {
        let mut tx = self.write(parent).await?;
        let company = insert_company(
            &mut tx,
            Some(parent.company()),
            &new.name,
            new.is_reseller,
            false,
            new.industry_name.as_deref(),
            new.description.as_deref(),
        )
        .await?;
        tx.record(
            Entry::new(
                "Company",
                company.resource_id.as_str(),
                Operation::Create,
                format!("Company '{}' created", new.name),
            )
            .new_state(serde_json::json!({
                "name": new.name,
                "isReseller": new.is_reseller,
                "description": new.description,
            })),
        );
        tx.commit().await?;
        Ok(company)
    }

    /// Looks a company up by its public id. This is the input of the authorization step, which
    /// decides whether the caller may use it; it returns no tenant data beyond the reference.
    pub async fn find_company(&self, id: &ResourceId) -> Result<Option<CompanyRef>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REF_COLUMNS} FROM companies c WHERE c.resource_id = $1"
        ))
        .bind(id.as_str())
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| company_ref(&r)).transpose()?)
    }

    /// [`Store::find_company`] by the company's number (`user_company_id`), for the few
    /// requests that name a company so.
    pub async fn find_company_by_number(&self, id: i64) -> Result<Option<CompanyRef>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REF_COLUMNS} FROM companies c WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?;
        Ok(row.map(|r| company_ref(&r)).transpose()?)
    }

    /// Every company the reach covers, parents before children.
    pub async fn companies_in_reach(&self, reach: &Reach) -> Result<Vec<CompanyNode>, StoreError> {
        let mut params = Params::new(self.backend);
        let condition = reach_condition(reach, "c.path", &mut params);
        let sql = format!(
            "SELECT {REF_COLUMNS}, c.parent_id, c.logo_url, c.create_time FROM companies c \
             WHERE {condition} ORDER BY c.path"
        );
        let rows = params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(CompanyNode {
                    reference: company_ref(r)?,
                    parent_id: r.try_get("parent_id")?,
                    logo_url: r.try_get("logo_url")?,
                    create_time: r.try_get("create_time")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(StoreError::from)
    }
}

/// Inserts a company and sets its path, inside the caller's transaction.
pub(crate) async fn insert_company(
    conn: &mut AnyConnection,
    parent: Option<&CompanyRef>,
    name: &str,
    is_reseller: bool,
    is_root: bool,
    industry_name: Option<&str>,
    description: Option<&str>,
) -> Result<CompanyRef, StoreError> {
    let now = now_millis();
    let resource_id = ResourceId::generate();
    let row = sqlx::query(
        "INSERT INTO companies (resource_id, parent_id, path, name, is_reseller, is_root, \
         industry_name, description, status_id, create_time, update_time) \
         VALUES ($1, $2, '', $3, $4, $5, $6, $7, 1, $8, $8) RETURNING id",
    )
    .bind(resource_id.as_str())
    .bind(parent.map(|p| p.id))
    .bind(name)
    .bind(i64::from(is_reseller))
    .bind(i64::from(is_root))
    .bind(industry_name)
    .bind(description)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .on_unique("company")?;
    let id: i64 = row.try_get("id")?;
    let path = format!("{}{id}/", parent.map_or("/", |p| p.path.as_str()));
    sqlx::query("UPDATE companies SET path = $1 WHERE id = $2")
        .bind(&path)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(CompanyRef {
        id,
        resource_id,
        name: name.to_owned(),
        path,
        is_reseller,
    })
}

/// The company form: everything `POST /api/companies` and `PUT /api/companies/{id}` set.
/// Reference fields are lookup resource ids, already checked by the caller.
#[derive(Debug, Clone, Default)]
pub struct CompanyDetails {
    pub name: String,
    pub is_reseller: bool,
    pub description: Option<String>,
    pub address: Option<String>,
    pub website_url: Option<String>,
    pub industry: String,
    pub country: String,
    pub license_type: String,
    pub license_period_type: String,
    pub number_of_users: i64,
    pub is_number_of_users_limited: bool,
    pub license_start_date: Option<i64>,
    pub license_end_date: Option<i64>,
    pub time_zone_id: String,
    pub date_format: String,
    pub time_format: String,
    pub notification_template_type: Option<String>,
    pub training_content_type: Option<String>,
    pub smtp_configuration_type: Option<String>,
    pub preferred_language_type: Option<String>,
    pub is_version_visible: bool,
    pub is_release_notes_visible: bool,
    pub release_notes_url: Option<String>,
    pub base_man_hour_cost: i64,
    pub base_man_hour: i64,
    pub call_back_number_booking_count: i64,
    pub status_id: i64,
    pub license_modules: Vec<String>,
    pub tags: Vec<String>,
    /// A new logo to store; `None` keeps the current one.
    pub logo: Option<Logo>,
}

/// A company's logo image, already checked by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Logo {
    pub file_name: String,
    pub content: Vec<u8>,
}

/// A stored company with its details and the names of what they reference.
#[derive(Debug, Clone)]
pub struct CompanyRecord {
    pub reference: CompanyRef,
    pub parent_id: Option<i64>,
    pub details: CompanyDetails,
    pub names: std::collections::HashMap<&'static str, Option<String>>,
    pub country_code: Option<String>,
    pub logo_url: Option<String>,
    /// Live (Active and Inactive) target users: what the licence counts.
    pub target_user_count: i64,
    pub inactive_target_user_count: i64,
    pub create_time: i64,
    pub license_module_names: Vec<(String, Option<String>)>,
}

/// A row of `POST /api/companies/search`.
#[derive(Debug, Clone)]
pub struct CompanySearchRow {
    pub id: i64,
    pub resource_id: String,
    pub name: String,
    pub reseller_name: Option<String>,
    pub industry_resource_id: Option<String>,
    pub industry_name: Option<String>,
    pub license_type_resource_id: Option<String>,
    pub license_type_name: Option<String>,
    pub is_number_of_users_limited: bool,
    pub number_of_users: i64,
    pub license_end_date: Option<i64>,
    pub create_time: i64,
    /// Live (Active and Inactive) target users: what the licence counts.
    pub target_user_count: i64,
    pub inactive_target_user_count: i64,
    pub deleted_target_user_count: i64,
    /// Active target users created or changed in the current calendar month (UTC).
    pub monthly_active_user_count: i64,
    pub is_reseller: bool,
    pub tags: Vec<String>,
    pub children: Vec<CompanySearchRow>,
}

/// `(column, name key)` of each reference field whose display name is looked up.
const NAMED: &[(&str, &str)] = &[
    ("industry_resource_id", "industry"),
    ("country_resource_id", "country"),
    ("license_type_resource_id", "license_type"),
    ("license_period_type_resource_id", "license_period_type"),
    (
        "notification_template_type_resource_id",
        "notification_template_type",
    ),
    ("training_content_type_resource_id", "training_content_type"),
    (
        "smtp_configuration_type_resource_id",
        "smtp_configuration_type",
    ),
    (
        "preferred_language_type_resource_id",
        "preferred_language_type",
    ),
];

fn lookup_name(column: &str) -> String {
    format!("(SELECT l.name FROM lookups l WHERE l.resource_id = c.{column})")
}

pub const COMPANY_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text_folded("Name", "c.name", "c.name_folded"),
        Field::text_folded("CompanyName", "c.name", "c.name_folded"),
        Field::of("ResourceId", "c.resource_id", Kind::Text),
        Field::of("CompanyResourceId", "c.resource_id", Kind::Text),
        Field::of("IndustryResourceId", "c.industry_resource_id", Kind::Text),
        Field::of(
            "LicenseTypeResourceId",
            "c.license_type_resource_id",
            Kind::Text,
        ),
        Field::of("CountryResourceId", "c.country_resource_id", Kind::Text),
        Field::of("NumberOfUsers", "c.number_of_users", Kind::Number),
        Field::of(
            "IsNumberOfUsersLimited",
            "c.is_number_of_users_limited",
            Kind::Bool,
        ),
        Field::of("TargetUserCount", "c.target_user_count", Kind::Number),
        Field::of("IsReseller", "c.is_reseller", Kind::Bool),
        Field::of("StatusId", "c.status_id", Kind::Number),
        Field::of("LicenseEndDate", "c.license_end_date", Kind::Date),
        Field::of("RenewalDate", "c.license_end_date", Kind::Date),
        Field::of("LicenseStartDate", "c.license_start_date", Kind::Date),
        Field::of("CreateTime", "c.create_time", Kind::Date),
    ],
    default_order: "CreateTime",
    tiebreak: "c.id",
};

/// Companies strictly below `root`.
fn below(root: &CompanyRef, params: &mut Params) -> String {
    let upper = format!("{}0", root.path.trim_end_matches('/'));
    let low = params.text(root.path.clone());
    let high = params.text(upper);
    format!("c.path > {low} AND c.path < {high}")
}

impl Store {
    /// Creates a company with its details under the scoped parent.
    pub async fn create_company_with(
        &self,
        parent: &CompanyScope,
        d: &CompanyDetails,
    ) -> Result<CompanyRef, StoreError> {
        let mut tx = self.write(parent).await?;
        let company = insert_company(
            &mut tx,
            Some(parent.company()),
            &d.name,
            d.is_reseller,
            false,
            None,
            d.description.as_deref(),
        )
        .await?;
        write_details(&mut tx, company.id, d).await?;
        tx.record(
            Entry::new(
                "Company",
                company.resource_id.as_str(),
                Operation::Create,
                format!("Company '{}' created", d.name),
            )
            .new_state(details_state(d)),
        );
        tx.commit().await?;
        Ok(company)
    }

    /// Replaces the details of the scoped company.
    pub async fn update_company(
        &self,
        scope: &CompanyScope,
        d: &CompanyDetails,
    ) -> Result<(), StoreError> {
        let mut tx = self.write(scope).await?;
        tx.record(
            Entry::new(
                "Company",
                scope.company().resource_id.as_str(),
                Operation::Update,
                format!("Company '{}' updated", d.name),
            )
            .old(serde_json::json!({"name": scope.company().name}))
            .new_state(details_state(d)),
        );
        sqlx::query(
            "UPDATE companies SET name = $1, description = $2, is_reseller = $3 WHERE id = $4",
        )
        .bind(d.name.as_str())
        .bind(d.description.as_deref())
        .bind(i64::from(d.is_reseller))
        .bind(scope.company_id())
        .execute(&mut *tx)
        .await?;
        write_details(&mut tx, scope.company_id(), d).await?;
        // Names and reseller flags appear in token claims.
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes a company with everything it owns (clients, roles, groups); refused while it has
    /// companies below it. Its clients' tokens stop working at once.
    pub async fn delete_company(&self, scope: &CompanyScope) -> Result<(), StoreError> {
        self.delete_companies(std::slice::from_ref(scope)).await
    }

    /// Deletes the scoped companies in one transaction, each as [`Store::delete_company`] does.
    /// Deepest first (a child's path extends its parent's), so a reseller may go together with
    /// the companies under it; if any company keeps a child that is not listed, or any other
    /// refusal applies, nothing is deleted.
    pub async fn delete_companies(&self, scopes: &[CompanyScope]) -> Result<(), StoreError> {
        let mut seen = std::collections::HashSet::new();
        let mut ordered: Vec<&CompanyScope> = scopes
            .iter()
            .filter(|s| seen.insert(s.company_id()))
            .collect();
        ordered.sort_by_key(|s| std::cmp::Reverse(s.company().path.len()));
        let Some(first) = ordered.first() else {
            return Ok(());
        };
        let mut tx = self.write(first).await?;
        for scope in ordered {
            let parent = delete_one_company(&mut tx, scope.company()).await?;
            // The deleted company's own log has no reader any more: its parent's records it.
            let entry = Entry::new(
                "Company",
                scope.company().resource_id.as_str(),
                Operation::Delete,
                format!("Company '{}' deleted", scope.company().name),
            )
            .old(serde_json::json!({
                "name": scope.company().name,
                "isReseller": scope.company().is_reseller,
            }));
            match parent {
                Some(parent) => tx.record_for(parent, entry),
                None => tx.record(entry),
            }
        }
        bump(&mut *tx, CLIENTS_REVISION).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The scoped company's logo, if one was uploaded.
    pub async fn company_logo(&self, scope: &CompanyScope) -> Result<Option<Logo>, StoreError> {
        let row = sqlx::query("SELECT file_name, content FROM company_logos WHERE company_id = $1")
            .bind(scope.company_id())
            .fetch_optional(self.pool())
            .await?;
        Ok(row
            .map(|r| {
                Ok::<_, sqlx::Error>(Logo {
                    file_name: r.try_get("file_name")?,
                    content: r.try_get("content")?,
                })
            })
            .transpose()?)
    }

    /// The scoped company with its details.
    pub async fn company_record(&self, scope: &CompanyScope) -> Result<CompanyRecord, StoreError> {
        let names: Vec<String> = NAMED
            .iter()
            .map(|(col, key)| format!("{} AS {key}_name", lookup_name(col)))
            .collect();
        let sql = format!(
            "SELECT c.*, {}, (SELECT l.code FROM lookups l WHERE l.resource_id = c.country_resource_id) AS country_code, \
             s.inactive_target_user_count FROM companies c JOIN company_search s ON s.id = c.id \
             WHERE c.id = $1",
            names.join(", ")
        );
        let row = sqlx::query(&sql)
            .bind(scope.company_id())
            .fetch_one(self.pool())
            .await?;
        let mut name_map = std::collections::HashMap::new();
        for (_, key) in NAMED {
            name_map.insert(
                *key,
                row.try_get::<Option<String>, _>(format!("{key}_name").as_str())?,
            );
        }
        let modules = sqlx::query(
            "SELECT m.module_resource_id, (SELECT l.name FROM lookups l WHERE l.resource_id = m.module_resource_id) AS name \
             FROM company_license_modules m WHERE m.company_id = $1 ORDER BY m.module_resource_id",
        )
        .bind(scope.company_id())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>("module_resource_id")?, r.try_get::<Option<String>, _>("name")?)))
        .collect::<Result<Vec<_>, sqlx::Error>>()?;
        let tags = self
            .tags_of(&[scope.company_id()])
            .await?
            .remove(&scope.company_id())
            .unwrap_or_default();
        let text = |c: &str| -> Result<String, sqlx::Error> {
            Ok(row.try_get::<Option<String>, _>(c)?.unwrap_or_default())
        };
        let details = CompanyDetails {
            name: row.try_get("name")?,
            is_reseller: flag(row.try_get("is_reseller")?),
            description: row.try_get("description")?,
            address: row.try_get("address")?,
            website_url: row.try_get("website_url")?,
            industry: text("industry_resource_id")?,
            country: text("country_resource_id")?,
            license_type: text("license_type_resource_id")?,
            license_period_type: text("license_period_type_resource_id")?,
            number_of_users: row.try_get("number_of_users")?,
            is_number_of_users_limited: flag(row.try_get("is_number_of_users_limited")?),
            license_start_date: row.try_get("license_start_date")?,
            license_end_date: row.try_get("license_end_date")?,
            time_zone_id: text("time_zone_id")?,
            date_format: text("date_format")?,
            time_format: text("time_format")?,
            notification_template_type: row.try_get("notification_template_type_resource_id")?,
            training_content_type: row.try_get("training_content_type_resource_id")?,
            smtp_configuration_type: row.try_get("smtp_configuration_type_resource_id")?,
            preferred_language_type: row.try_get("preferred_language_type_resource_id")?,
            is_version_visible: flag(row.try_get("is_version_visible")?),
            is_release_notes_visible: flag(row.try_get("is_release_notes_visible")?),
            release_notes_url: row.try_get("release_notes_url")?,
            base_man_hour_cost: row.try_get("base_man_hour_cost")?,
            base_man_hour: row.try_get("base_man_hour")?,
            call_back_number_booking_count: row.try_get("call_back_number_booking_count")?,
            status_id: row.try_get("status_id")?,
            license_modules: modules.iter().map(|(id, _)| id.clone()).collect(),
            tags,
            logo: None,
        };
        Ok(CompanyRecord {
            reference: company_ref(&row)?,
            parent_id: row.try_get("parent_id")?,
            details,
            names: name_map,
            country_code: row.try_get("country_code")?,
            logo_url: row.try_get("logo_url")?,
            target_user_count: row.try_get("target_user_count")?,
            inactive_target_user_count: row.try_get("inactive_target_user_count")?,
            create_time: row.try_get("create_time")?,
            license_module_names: modules,
        })
    }

    async fn tags_of(
        &self,
        ids: &[i64],
    ) -> Result<std::collections::HashMap<i64, Vec<String>>, StoreError> {
        let mut out: std::collections::HashMap<i64, Vec<String>> = std::collections::HashMap::new();
        if ids.is_empty() {
            return Ok(out);
        }
        let mut params = Params::new(self.backend);
        let list: Vec<String> = ids.iter().map(|i| params.int(*i)).collect();
        let sql = format!(
            "SELECT company_id, tag FROM company_tags WHERE company_id IN ({}) ORDER BY tag",
            list.join(", ")
        );
        for r in params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?
        {
            out.entry(r.try_get("company_id")?)
                .or_default()
                .push(r.try_get("tag")?);
        }
        Ok(out)
    }

    /// One page of the companies below `root` (or `root` and below when `include_root`), the
    /// total, and how many of all matching companies exceed their licensed user count.
    ///
    /// A name filter is a substring match that no index serves, so every company in scope is
    /// read: from the narrow `company_search` table (see its migration), in one pass that also
    /// counts (a windowed search), with display names and tags read for the page's rows only.
    pub async fn search_companies(
        &self,
        reach: &Reach,
        include_root: bool,
        request: &SearchRequest,
    ) -> Result<(Vec<CompanySearchRow>, i64, i64, Compiled), StoreError> {
        let select = format!(
            "SELECT {}, {} AS tags_json",
            shown_columns(),
            tags_json(self.backend)
        );
        let (mut rows, total, sums, compiled) =
            company_search(self.backend, reach, include_root, request, select, page_row)?
                .windowed("company_search c", &EXCEEDED_COLUMNS)
                .sums(&[EXCEEDED])
                .page_with_sums(self)
                .await?;
        // Direct children of the resellers on this page, one level deep, in one query.
        let resellers: Vec<i64> = rows
            .iter()
            .filter(|r| r.is_reseller)
            .map(|r| r.id)
            .collect();
        if !resellers.is_empty() {
            let mut params = Params::new(self.backend);
            let ids: Vec<String> = resellers.iter().map(|id| params.int(*id)).collect();
            let sql = format!(
                "SELECT {} FROM company_search c WHERE c.parent_id IN ({}) ORDER BY c.name",
                shown_columns(),
                ids.join(", ")
            );
            let children = params
                .apply(sqlx::query(&sql))
                .fetch_all(self.pool())
                .await?;
            for child in &children {
                let parent: i64 = child.try_get("parent_id")?;
                let child = company_search_row(child)?;
                if let Some(row) = rows.iter_mut().find(|r| r.id == parent) {
                    row.children.push(child);
                }
            }
        }
        let exceeded = sums.first().copied().unwrap_or(0);
        Ok((rows, total, exceeded, compiled))
    }

    /// Resource ids of the companies in `reach` (without its root unless `include_root`) that
    /// `filter` matches: what a `selectAll` bulk operation covers.
    pub async fn company_ids_matching(
        &self,
        reach: &Reach,
        include_root: bool,
        filter: Option<Filter>,
    ) -> Result<Vec<String>, StoreError> {
        let request = SearchRequest {
            filter,
            ..SearchRequest::default()
        };
        company_search(
            self.backend,
            reach,
            include_root,
            &request,
            "SELECT c.resource_id",
            |r| Ok(r.try_get("resource_id")?),
        )?
        .all(self)
        .await
    }

    /// The rows of a company export, streamed.
    pub fn export_companies(
        &self,
        reach: &Reach,
        include_root: bool,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<CompanySearchRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(company_search(
            self.backend,
            reach,
            include_root,
            request,
            format!("SELECT {}", shown_columns()),
            company_search_row,
        )?
        .stream(self))
    }
}

/// What a row of company search shows, read from `company_search c`.
fn shown_columns() -> String {
    // The month is the server's, as are the times the counts are kept by.
    let month = month_start_millis();
    format!(
        "c.id, c.parent_id, c.resource_id, c.name, c.is_reseller, c.industry_resource_id, \
         c.license_type_resource_id, c.is_number_of_users_limited, c.number_of_users, c.license_end_date, \
         c.create_time, c.target_user_count, c.inactive_target_user_count, c.deleted_target_user_count, \
         COALESCE((SELECT m.active_count FROM target_user_months m \
            WHERE m.company_id = c.id AND m.month = {month}), 0) AS monthly_active_user_count, \
         (SELECT p.name FROM companies p WHERE p.id = c.parent_id) AS reseller_name, \
         (SELECT l.name FROM lookups l WHERE l.resource_id = c.industry_resource_id) AS industry_name, \
         (SELECT l.name FROM lookups l WHERE l.resource_id = c.license_type_resource_id) AS license_type_name"
    )
}

/// A row's tags as a JSON array of strings, in order: read with the page instead of by a second
/// query.
fn tags_json(backend: crate::Backend) -> &'static str {
    match backend {
        crate::Backend::Postgres => {
            "(SELECT COALESCE(json_agg(t.tag ORDER BY t.tag), '[]')::text \
             FROM company_tags t WHERE t.company_id = c.id)"
        }
        crate::Backend::Sqlite => {
            "(SELECT json_group_array(tag) FROM \
             (SELECT t.tag FROM company_tags t WHERE t.company_id = c.id ORDER BY t.tag))"
        }
    }
}

/// What [`EXCEEDED`] reads.
const EXCEEDED_COLUMNS: [&str; 3] = [
    "c.is_number_of_users_limited",
    "c.target_user_count",
    "c.number_of_users",
];

const EXCEEDED: &str = "CASE WHEN c.is_number_of_users_limited = 1 AND c.target_user_count > c.number_of_users THEN 1 ELSE 0 END";

/// The search over the companies in `reach`, less its root company unless `include_root`.
fn company_search<T: Send + 'static>(
    backend: crate::Backend,
    reach: &Reach,
    include_root: bool,
    request: &SearchRequest,
    select: impl Into<String>,
    row: fn(&AnyRow) -> Result<T, StoreError>,
) -> Result<SearchQuery<T>, StoreError> {
    let mut params = Params::new(backend);
    // A subtree holds anything from one company to all of them: plan for the one at hand.
    params.plan_per_run();
    let within = if include_root {
        reach_condition(reach, "c.path", &mut params)
    } else if reach.is_subtree() {
        below(reach.root(), &mut params)
    } else {
        // A reach of one company, without that company: nothing.
        "1 = 0".to_owned()
    };
    let exceeded = if request.is_target_user_count_exceeded_limit.unwrap_or(false) {
        " AND c.is_number_of_users_limited = 1 AND c.target_user_count > c.number_of_users"
    } else {
        ""
    };
    // The caller's filter first: PostgreSQL tests conditions of equal cost in the order written,
    // and the two path comparisons cost a third of a subtree scan when made on every row.
    // (Whether the path range can use its index does not depend on the order.)
    SearchQuery::new(
        &COMPANY_SEARCH,
        request,
        params,
        select,
        |condition| format!("FROM company_search c WHERE {condition} AND {within}{exceeded}"),
        row,
    )
}

/// A row of a search page: a company and its tags.
fn page_row(r: &AnyRow) -> Result<CompanySearchRow, StoreError> {
    let tags: String = r.try_get("tags_json")?;
    Ok(CompanySearchRow {
        tags: serde_json::from_str(&tags)
            .map_err(|e| StoreError::Corrupt(format!("tags of a company search row: {e}")))?,
        ..company_search_row(r)?
    })
}

fn company_search_row(r: &AnyRow) -> Result<CompanySearchRow, StoreError> {
    Ok(CompanySearchRow {
        id: r.try_get("id")?,
        resource_id: r.try_get("resource_id")?,
        name: r.try_get("name")?,
        reseller_name: r.try_get("reseller_name")?,
        industry_resource_id: r.try_get("industry_resource_id")?,
        industry_name: r.try_get("industry_name")?,
        license_type_resource_id: r.try_get("license_type_resource_id")?,
        license_type_name: r.try_get("license_type_name")?,
        is_number_of_users_limited: flag(r.try_get("is_number_of_users_limited")?),
        number_of_users: r.try_get("number_of_users")?,
        license_end_date: r.try_get("license_end_date")?,
        create_time: r.try_get("create_time")?,
        target_user_count: r.try_get("target_user_count")?,
        inactive_target_user_count: r.try_get("inactive_target_user_count")?,
        deleted_target_user_count: r.try_get("deleted_target_user_count")?,
        monthly_active_user_count: r.try_get("monthly_active_user_count")?,
        is_reseller: flag(r.try_get("is_reseller")?),
        tags: Vec::new(),
        children: Vec::new(),
    })
}

#[cfg(test)]
mod count_tests;

/// Deletes one company and what belongs to it, within the caller's transaction. Refused while it
/// has child companies or while others hold roles it shared.
/// Answers the company's parent.
async fn delete_one_company(
    conn: &mut AnyConnection,
    company: &CompanyRef,
) -> Result<Option<i64>, StoreError> {
    let parent: Option<i64> = sqlx::query("SELECT parent_id FROM companies WHERE id = $1")
        .bind(company.id)
        .fetch_one(&mut *conn)
        .await?
        .try_get("parent_id")?;
    let children: i64 = sqlx::query("SELECT COUNT(*) AS n FROM companies WHERE parent_id = $1")
        .bind(company.id)
        .fetch_one(&mut *conn)
        .await?
        .try_get("n")?;
    if children > 0 {
        return Err(StoreError::Refused(format!(
            "{} has {children} compan{} under it; move or delete them first",
            company.name,
            if children == 1 { "y" } else { "ies" }
        )));
    }
    // Roles owned elsewhere but held by this company's clients and users go with them; roles
    // this company owns and shared with others must be released by those holders first.
    sqlx::query(
        "DELETE FROM api_client_roles WHERE client_id IN (SELECT id FROM api_clients WHERE company_id = $1)",
    )
    .bind(company.id)
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "DELETE FROM system_user_roles WHERE user_id IN (SELECT id FROM system_users WHERE company_id = $1)",
    )
    .bind(company.id)
    .execute(&mut *conn)
    .await?;
    let held_elsewhere: i64 = sqlx::query(
        "SELECT (SELECT COUNT(*) FROM api_client_roles cr JOIN roles r ON r.id = cr.role_id WHERE r.company_id = $1) \
         + (SELECT COUNT(*) FROM system_user_roles ur JOIN roles r ON r.id = ur.role_id WHERE r.company_id = $1) AS n",
    )
    .bind(company.id)
    .fetch_one(&mut *conn)
    .await?
    .try_get("n")?;
    if held_elsewhere > 0 {
        return Err(StoreError::Refused(format!(
            "{held_elsewhere} client(s) or user(s) of other companies hold roles {} shared; remove those roles first",
            company.name
        )));
    }
    sqlx::query("DELETE FROM role_availability WHERE target_type = 'Company' AND target_id = $1")
        .bind(company.id)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DELETE FROM companies WHERE id = $1")
        .bind(company.id)
        .execute(&mut *conn)
        .await?;
    Ok(parent)
}

/// A company's details as its audit records show them.
fn details_state(d: &CompanyDetails) -> serde_json::Value {
    serde_json::json!({
        "name": d.name,
        "isReseller": d.is_reseller,
        "description": d.description,
        "address": d.address,
        "websiteUrl": d.website_url,
        "industryResourceId": d.industry,
        "countryResourceId": d.country,
        "licenseTypeResourceId": d.license_type,
        "licensePeriodTypeResourceId": d.license_period_type,
        "numberOfUsers": d.number_of_users,
        "isNumberOfUsersLimited": d.is_number_of_users_limited,
        "licenseStartDate": d.license_start_date,
        "licenseEndDate": d.license_end_date,
        "timeZoneId": d.time_zone_id,
        "statusId": d.status_id,
        "licenseModules": d.license_modules,
        "tags": d.tags,
        "logoChanged": d.logo.is_some(),
    })
}

async fn write_details(
    conn: &mut AnyConnection,
    id: i64,
    d: &CompanyDetails,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE companies SET address = $1, website_url = $2, industry_resource_id = $3, country_resource_id = $4, \
         license_type_resource_id = $5, license_period_type_resource_id = $6, number_of_users = $7, \
         is_number_of_users_limited = $8, license_start_date = $9, license_end_date = $10, time_zone_id = $11, \
         date_format = $12, time_format = $13, notification_template_type_resource_id = $14, \
         training_content_type_resource_id = $15, smtp_configuration_type_resource_id = $16, \
         preferred_language_type_resource_id = $17, is_version_visible = $18, is_release_notes_visible = $19, \
         release_notes_url = $20, base_man_hour_cost = $21, base_man_hour = $22, call_back_number_booking_count = $23, \
         status_id = $24, update_time = $25, industry_name = (SELECT l.name FROM lookups l WHERE l.resource_id = $3) \
         WHERE id = $26",
    )
    .bind(d.address.as_deref())
    .bind(d.website_url.as_deref())
    .bind(d.industry.as_str())
    .bind(d.country.as_str())
    .bind(d.license_type.as_str())
    .bind(d.license_period_type.as_str())
    .bind(d.number_of_users)
    .bind(i64::from(d.is_number_of_users_limited))
    .bind(d.license_start_date)
    .bind(d.license_end_date)
    .bind(d.time_zone_id.as_str())
    .bind(d.date_format.as_str())
    .bind(d.time_format.as_str())
    .bind(d.notification_template_type.as_deref())
    .bind(d.training_content_type.as_deref())
    .bind(d.smtp_configuration_type.as_deref())
    .bind(d.preferred_language_type.as_deref())
    .bind(i64::from(d.is_version_visible))
    .bind(i64::from(d.is_release_notes_visible))
    .bind(d.release_notes_url.as_deref())
    .bind(d.base_man_hour_cost)
    .bind(d.base_man_hour)
    .bind(d.call_back_number_booking_count)
    .bind(d.status_id)
    .bind(now_millis())
    .bind(id)
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM company_license_modules WHERE company_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for module in &d.license_modules {
        sqlx::query(
            "INSERT INTO company_license_modules (company_id, module_resource_id) VALUES ($1, $2)",
        )
        .bind(id)
        .bind(module.as_str())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM company_tags WHERE company_id = $1")
        .bind(id)
        .execute(&mut *conn)
        .await?;
    for tag in &d.tags {
        sqlx::query("INSERT INTO company_tags (company_id, tag) VALUES ($1, $2)")
            .bind(id)
            .bind(tag.as_str())
            .execute(&mut *conn)
            .await?;
    }
    if let Some(logo) = &d.logo {
        sqlx::query(
            "INSERT INTO company_logos (company_id, file_name, content, update_time) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (company_id) DO UPDATE SET file_name = EXCLUDED.file_name, \
             content = EXCLUDED.content, update_time = EXCLUDED.update_time",
        )
        .bind(id)
        .bind(logo.file_name.as_str())
        .bind(logo.content.clone())
        .bind(now_millis())
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

impl Store {
    /// What in `d` does not name existing reference data of the right kind, one message each.
    pub async fn company_reference_problems(
        &self,
        d: &CompanyDetails,
    ) -> Result<Vec<String>, StoreError> {
        use crate::lookups::*;
        let mut problems = Vec::new();
        let mut by_id: Vec<(&str, &str, i64)> = vec![
            ("IndustryResourceId", d.industry.as_str(), INDUSTRY),
            ("CountryResourceId", d.country.as_str(), COUNTRY),
            (
                "LicenseTypeResourceId",
                d.license_type.as_str(),
                LICENSE_TYPE,
            ),
            (
                "LicensePeriodTypeResourceId",
                d.license_period_type.as_str(),
                LICENSE_PERIOD_TYPE,
            ),
        ];
        for (label, value, kind) in [
            (
                "NotificationTemplateTypeResourceId",
                &d.notification_template_type,
                NOTIFICATION_TEMPLATE_TYPE,
            ),
            (
                "TrainingContentTypeResourceId",
                &d.training_content_type,
                TRAINING_CONTENT_TYPE,
            ),
            (
                "SmtpConfigurationTypeResourceId",
                &d.smtp_configuration_type,
                SMTP_CONFIGURATION_TYPE,
            ),
            (
                "PreferredLanguageTypeResourceId",
                &d.preferred_language_type,
                PREFERRED_LANGUAGE_TYPE,
            ),
        ] {
            if let Some(v) = value {
                by_id.push((label, v.as_str(), kind));
            }
        }
        for module in &d.license_modules {
            by_id.push((
                "LicenseModuleResourceIdArray",
                module.as_str(),
                LICENSE_MODULE,
            ));
        }
        for (label, value, kind) in by_id {
            if self.lookup(kind, value).await?.is_none() {
                problems.push(format!(
                    "{label}: '{value}' is not a known value (see GET /api/lookups/{kind})"
                ));
            }
        }
        if !self.is_date_format(&d.date_format).await? {
            problems.push(format!(
                "DateFormat: '{}' is not a known format (see GET /api/timezone/timezones)",
                d.date_format
            ));
        }
        if !self.is_time_format(&d.time_format).await? {
            problems.push(format!(
                "TimeFormat: '{}' is not a known format (see GET /api/timezone/timezones)",
                d.time_format
            ));
        }
        if !self.time_zone_exists(&d.time_zone_id).await? {
            problems.push(format!(
                "TimeZoneId: '{}' is not a known time zone (see GET /api/timezone/timezones)",
                d.time_zone_id
            ));
        }
        Ok(problems)
    }
}
