//! Companies and the tree they form.

use latchkey_domain::authz::{CompanyRef, CompanyScope, Reach};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::now_millis;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::error::OnUnique;
use crate::search::Params;
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
    match reach {
        Reach::Company(c) => format!("{column} = {}", params.text(c.path.clone())),
        Reach::Subtree(c) => {
            let upper = format!("{}0", c.path.trim_end_matches('/'));
            let low = params.text(c.path.clone());
            let high = params.text(upper);
            format!("{column} >= {low} AND {column} < {high}")
        }
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

    /// Creates the platform root. Only the bootstrap calls this, once.
    pub async fn create_root_company(&self, name: &str) -> Result<CompanyRef, StoreError> {
        self.insert_company(None, name, true, true, None, None)
            .await
    }

    /// Creates a company under the scoped one.
    pub async fn create_company(
        &self,
        parent: &CompanyScope,
        new: &NewCompany,
    ) -> Result<CompanyRef, StoreError> {
        self.insert_company(
            Some(parent.company()),
            &new.name,
            new.is_reseller,
            false,
            new.industry_name.as_deref(),
            new.description.as_deref(),
        )
        .await
    }

    async fn insert_company(
        &self,
        parent: Option<&CompanyRef>,
        name: &str,
        is_reseller: bool,
        is_root: bool,
        industry_name: Option<&str>,
        description: Option<&str>,
    ) -> Result<CompanyRef, StoreError> {
        let mut tx = self.pool().begin().await?;
        let company = insert_company(
            &mut tx,
            parent,
            name,
            is_reseller,
            is_root,
            industry_name,
            description,
        )
        .await?;
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

    /// Every company the reach covers, parents before children.
    pub async fn companies_in_reach(&self, reach: &Reach) -> Result<Vec<CompanyNode>, StoreError> {
        let mut params = Params::default();
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
