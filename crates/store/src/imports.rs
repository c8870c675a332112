//! Spreadsheet imports: an uploaded file kept as a transaction, its rows read through a
//! mapping into a preview of target users, and the import of that preview.
//!
//! - An upload is written by an [`UploadWriter`] in one database transaction: the
//!   `import_transactions` row (the `transactionId`), then the file's rows into `import_rows`
//!   in multi-row inserts as the parser produces them, then the counts. Nothing of a file that
//!   fails half-way is kept.
//! - `create-mapping` stores the mapping and queues the mapping job in one transaction
//!   ([`Store::start_mapping`]). The job reads the raw rows in key order
//!   ([`Store::raw_rows_after`]) and writes the preview (`import_users`: each row New, Exists
//!   or Error) batch by batch ([`Store::write_preview_batch`]), each batch with the counts in
//!   one transaction held by the job's lease.
//! - The import job reads the preview rows not yet imported ([`Store::preview_rows_to_import`])
//!   and marks each batch imported once the users are written.
//! - A transaction is found only within its company and until it expires; expired ones are
//!   purged ([`Store::purge_expired_imports`]).

use std::collections::HashSet;

use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::now_millis;
use latchkey_proto::search::SearchRequest;
use serde::{Deserialize, Serialize};
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::audit::Write;

use crate::jobs::{JobRow, JobStatus, Lease, NewJob, Step, insert_job, set_step_count};
use crate::search::{Compiled, Field, Kind, Params, SearchQuery, SearchSpec};
use crate::{Store, StoreError};

/// One sheet of an uploaded file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct SheetInfo {
    pub name: String,
    pub headers: Vec<String>,
    pub row_count: i64,
}

/// What an upload counted, written when its last row is in.
#[derive(Debug, Clone)]
pub struct UploadSummary {
    /// `Csv`, `Xlsx` or `Xls`.
    pub file_type: String,
    pub sheets: Vec<SheetInfo>,
    pub row_count: i64,
    pub column_count: i64,
    pub duplicate_count: i64,
}

/// A transaction as a company-scoped read found it (unexpired).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TransactionRow {
    pub key: i64,
    pub resource_id: String,
    pub company_id: i64,
    pub file_type: String,
    pub sheets: Vec<SheetInfo>,
    pub row_count: i64,
    pub column_count: i64,
    pub duplicate_count: i64,
    /// The mapping as create-mapping stored it.
    pub mapping: Option<serde_json::Value>,
    pub mapping_job: Option<i64>,
    pub mapping_status: Option<JobStatus>,
    pub import_job: Option<i64>,
    pub import_status: Option<JobStatus>,
    pub new_count: i64,
    pub existing_count: i64,
    pub invalid_count: i64,
    pub create_time: i64,
    pub expire_time: i64,
}

/// The status of a preview row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowStatus {
    New = 1,
    Exists = 2,
    Error = 3,
}

impl RowStatus {
    pub fn from_stored(n: i64) -> Self {
        match n {
            1 => Self::New,
            2 => Self::Exists,
            _ => Self::Error,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::New => "New",
            Self::Exists => "Exists",
            Self::Error => "Error",
        }
    }
}

/// A preview row: the file's text for each target-user field, as mapped.
#[derive(Debug, Clone, Default)]
pub struct PreviewFields {
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub phone_number: Option<String>,
    pub priority: Option<String>,
    pub time_zone: Option<String>,
    pub preferred_language: Option<String>,
    pub manager_first_name: Option<String>,
    pub manager_last_name: Option<String>,
    pub manager_email: Option<String>,
    /// JSON `[{resourceId, name, dataType, value}]`.
    pub custom_fields: String,
}

/// A preview row to write.
#[derive(Debug, Clone)]
pub struct NewPreviewRow {
    pub row_number: i64,
    pub status: RowStatus,
    /// The email folded as the unique index of target users folds it.
    pub email_folded: Option<String>,
    pub fields: PreviewFields,
    /// JSON `[{fieldName, message}]`.
    pub validation: String,
}

/// A preview row as read back.
#[derive(Debug, Clone)]
pub struct PreviewRow {
    pub key: i64,
    pub resource_id: String,
    pub row_number: i64,
    pub status: RowStatus,
    pub fields: PreviewFields,
    pub validation: String,
    pub create_time: i64,
    pub update_time: i64,
}

/// Which preview rows an import writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportSelection {
    /// New and existing users.
    All,
    OnlyNew,
    OnlyExisting,
    /// These rows (resource ids); those in Error are reported by the import, not written.
    Rows(Vec<String>),
}

impl ImportSelection {
    /// The SQL condition on `u` (an `import_users` row) with its binds.
    fn condition(&self, params: &mut Params) -> String {
        match self {
            Self::All => "u.status IN (1, 2)".to_owned(),
            Self::OnlyNew => "u.status = 1".to_owned(),
            Self::OnlyExisting => "u.status = 2".to_owned(),
            Self::Rows(ids) if ids.is_empty() => "1 = 0".to_owned(),
            Self::Rows(ids) => {
                let list: Vec<String> = ids.iter().map(|id| params.text(id.clone())).collect();
                format!("u.resource_id IN ({})", list.join(", "))
            }
        }
    }
}

/// Writes one upload: every row, then the counts, in one database transaction.
pub struct UploadWriter {
    tx: Write,
    key: i64,
    resource_id: ResourceId,
    pending: Vec<(i64, i64, String)>,
    /// Rows a statement carries (three binds each).
    per_insert: usize,
}

impl UploadWriter {
    /// Adds a row of `sheet` (0-based) at spreadsheet row `row_number`.
    pub async fn push(
        &mut self,
        sheet: i64,
        row_number: i64,
        cells: &[String],
    ) -> Result<(), StoreError> {
        let json = serde_json::to_string(cells)
            .map_err(|e| StoreError::Corrupt(format!("row {row_number}: {e}")))?;
        self.pending.push((sheet, row_number, json));
        if self.pending.len() >= self.per_insert {
            self.flush().await?;
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut sql = String::with_capacity(64 + self.pending.len() * 24);
        sql.push_str("INSERT INTO import_rows (transaction_id, sheet, row_number, cells) VALUES ");
        for i in 0..self.pending.len() {
            let b = 2 + i * 3;
            if i > 0 {
                sql.push(',');
            }
            sql.push_str(&format!("($1, ${b}, ${}, ${})", b + 1, b + 2));
        }
        let mut query = sqlx::query(&sql).bind(self.key);
        for (sheet, row, cells) in self.pending.drain(..) {
            query = query.bind(sheet).bind(row).bind(cells);
        }
        query.execute(&mut *self.tx).await?;
        Ok(())
    }

    /// Writes the counts and commits; returns the transaction id.
    pub async fn finish(mut self, summary: &UploadSummary) -> Result<ResourceId, StoreError> {
        self.flush().await?;
        let sheets = serde_json::to_string(&summary.sheets)
            .map_err(|e| StoreError::Corrupt(format!("sheets: {e}")))?;
        sqlx::query(
            "UPDATE import_transactions SET sheets = $1, row_count = $2, column_count = $3, \
             duplicate_count = $4, file_type = $6 WHERE id = $5",
        )
        .bind(sheets)
        .bind(summary.row_count)
        .bind(summary.column_count)
        .bind(summary.duplicate_count)
        .bind(self.key)
        .bind(&summary.file_type)
        .execute(&mut *self.tx)
        .await?;
        self.tx.commit().await?;
        Ok(self.resource_id)
    }
}

const TRANSACTION_COLUMNS: &str = "t.id, t.resource_id, t.company_id, t.file_type, t.sheets, \
    t.row_count, t.column_count, t.duplicate_count, t.mapping, t.mapping_job_id, t.import_job_id, \
    t.new_count, t.existing_count, t.invalid_count, t.create_time, t.expire_time, \
    (SELECT j.status FROM jobs j WHERE j.id = t.mapping_job_id) AS mapping_status, \
    (SELECT j.status FROM jobs j WHERE j.id = t.import_job_id) AS import_status";

fn transaction_row(r: &AnyRow) -> Result<TransactionRow, StoreError> {
    let key: i64 = r.try_get("id")?;
    let corrupt = |what: &str, e: serde_json::Error| {
        StoreError::Corrupt(format!("import transaction {key} {what}: {e}"))
    };
    let sheets: String = r.try_get("sheets")?;
    let mapping: Option<String> = r.try_get("mapping")?;
    Ok(TransactionRow {
        key,
        resource_id: r.try_get("resource_id")?,
        company_id: r.try_get("company_id")?,
        file_type: r.try_get("file_type")?,
        sheets: serde_json::from_str(&sheets).map_err(|e| corrupt("sheets", e))?,
        row_count: r.try_get("row_count")?,
        column_count: r.try_get("column_count")?,
        duplicate_count: r.try_get("duplicate_count")?,
        mapping: mapping
            .map(|m| serde_json::from_str(&m))
            .transpose()
            .map_err(|e| corrupt("mapping", e))?,
        mapping_job: r.try_get("mapping_job_id")?,
        mapping_status: r
            .try_get::<Option<i64>, _>("mapping_status")?
            .map(JobStatus::from_stored),
        import_job: r.try_get("import_job_id")?,
        import_status: r
            .try_get::<Option<i64>, _>("import_status")?
            .map(JobStatus::from_stored),
        new_count: r.try_get("new_count")?,
        existing_count: r.try_get("existing_count")?,
        invalid_count: r.try_get("invalid_count")?,
        create_time: r.try_get("create_time")?,
        expire_time: r.try_get("expire_time")?,
    })
}

/// The preview search: what `POST /api/target-users/{transactionId}/search` filters and sorts.
pub const PREVIEW_SEARCH: SearchSpec = SearchSpec {
    fields: &[
        Field::text("Email", "u.email"),
        Field::text("FirstName", "u.first_name"),
        Field::text("LastName", "u.last_name"),
        Field::text("Department", "u.department"),
        Field::text("PhoneNumber", "u.phone_number"),
        Field::of("Priority", "u.priority", Kind::Text),
        Field::of("TimeZone", "u.time_zone", Kind::Text),
        Field::of("PreferredLanguage", "u.preferred_language", Kind::Text),
        // Text, not an enumeration: the platform's UI filters `Status Include
        // "New,Exists,Error,SCIM"`, and a name no row has must match nothing, not be refused.
        Field::of(
            "Status",
            "CASE u.status WHEN 1 THEN 'New' WHEN 2 THEN 'Exists' ELSE 'Error' END",
            Kind::Text,
        ),
        Field::of("ResourceId", "u.resource_id", Kind::Text),
        Field::of("RowNumber", "u.row_number", Kind::Number),
        Field::of("CreateTime", "u.create_time", Kind::Date),
    ],
    default_order: "Email",
    tiebreak: "u.id",
};

const PREVIEW_COLUMNS: &str = "SELECT u.id, u.resource_id, u.row_number, u.status, u.email, \
    u.first_name, u.last_name, u.department, u.phone_number, u.priority, u.time_zone, \
    u.preferred_language, u.manager_first_name, u.manager_last_name, u.manager_email, \
    u.custom_fields, u.validation, u.create_time, u.update_time";

fn preview_row(r: &AnyRow) -> Result<PreviewRow, StoreError> {
    Ok(PreviewRow {
        key: r.try_get("id")?,
        resource_id: r.try_get("resource_id")?,
        row_number: r.try_get("row_number")?,
        status: RowStatus::from_stored(r.try_get("status")?),
        fields: PreviewFields {
            email: r.try_get("email")?,
            first_name: r.try_get("first_name")?,
            last_name: r.try_get("last_name")?,
            department: r.try_get("department")?,
            phone_number: r.try_get("phone_number")?,
            priority: r.try_get("priority")?,
            time_zone: r.try_get("time_zone")?,
            preferred_language: r.try_get("preferred_language")?,
            manager_first_name: r.try_get("manager_first_name")?,
            manager_last_name: r.try_get("manager_last_name")?,
            manager_email: r.try_get("manager_email")?,
            custom_fields: r.try_get("custom_fields")?,
        },
        validation: r.try_get("validation")?,
        create_time: r.try_get("create_time")?,
        update_time: r.try_get("update_time")?,
    })
}

impl Store {
    /// Starts an upload for the scoped company, kept until `ttl_ms` from now.
    pub async fn begin_upload(
        &self,
        scope: &CompanyScope,
        ttl_ms: i64,
    ) -> Result<UploadWriter, StoreError> {
        let mut tx = self.housekeeping().await?;
        let id = ResourceId::generate();
        let now = now_millis();
        let key: i64 = sqlx::query(
            "INSERT INTO import_transactions (resource_id, company_id, file_type, sheets, row_count, \
             column_count, duplicate_count, create_time, expire_time) \
             VALUES ($1, $2, '', '[]', 0, 0, 0, $3, $4) RETURNING id",
        )
        .bind(id.as_str())
        .bind(scope.company_id())
        .bind(now)
        .bind(now.saturating_add(ttl_ms))
        .fetch_one(&mut *tx)
        .await?
        .try_get("id")?;
        Ok(UploadWriter {
            tx,
            key,
            resource_id: id,
            pending: Vec::new(),
            per_insert: self.backend.rows_per_statement(3),
        })
    }

    /// The company's transaction `id`, unless it has expired.
    pub async fn import_transaction(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<TransactionRow>, StoreError> {
        self.transaction_where(|p| {
            format!(
                "t.resource_id = {} AND t.company_id = {} AND t.expire_time > {}",
                p.text(id.as_str()),
                p.int(scope.company_id()),
                p.int(now_millis())
            )
        })
        .await
    }

    /// The transaction a job works on, by key, whatever its expiry: a job started before the
    /// expiry finishes (purging waits for it).
    pub async fn import_transaction_for_job(
        &self,
        lease: &Lease,
        key: i64,
    ) -> Result<TransactionRow, StoreError> {
        self.transaction_where(|p| {
            let job = p.int(lease.job_key());
            format!(
                "t.id = {} AND (t.mapping_job_id = {job} OR t.import_job_id = {job})",
                p.int(key)
            )
        })
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The transaction a mapping job of the company maps (expired or not, until purged); none
    /// once the transaction was re-issued.
    pub async fn transaction_of_mapping_job(
        &self,
        scope: &CompanyScope,
        job: &JobRow,
    ) -> Result<Option<TransactionRow>, StoreError> {
        self.transaction_where(|p| {
            format!(
                "t.mapping_job_id = {} AND t.company_id = {}",
                p.int(job.key),
                p.int(scope.company_id())
            )
        })
        .await
    }

    async fn transaction_where(
        &self,
        condition: impl FnOnce(&mut Params) -> String,
    ) -> Result<Option<TransactionRow>, StoreError> {
        let mut params = Params::new(self.backend);
        let sql = format!(
            "SELECT {TRANSACTION_COLUMNS} FROM import_transactions t WHERE {}",
            condition(&mut params)
        );
        params
            .apply(sqlx::query(&sql))
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(transaction_row)
            .transpose()
    }

    /// The first `limit` rows of a sheet, in file order.
    pub async fn sample_rows(
        &self,
        transaction: &TransactionRow,
        sheet: i64,
        limit: i64,
    ) -> Result<Vec<Vec<String>>, StoreError> {
        sqlx::query(
            "SELECT cells FROM import_rows WHERE transaction_id = $1 AND sheet = $2 \
             ORDER BY row_number LIMIT $3",
        )
        .bind(transaction.key)
        .bind(sheet)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(cells)
        .collect()
    }

    /// Raw rows of a sheet after spreadsheet row `after`, in order, at most `limit`:
    /// `(row_number, cells)`.
    pub async fn raw_rows_after(
        &self,
        transaction: &TransactionRow,
        sheet: i64,
        after: i64,
        limit: i64,
    ) -> Result<Vec<(i64, Vec<String>)>, StoreError> {
        sqlx::query(
            "SELECT row_number, cells FROM import_rows WHERE transaction_id = $1 AND sheet = $2 \
             AND row_number > $3 ORDER BY row_number LIMIT $4",
        )
        .bind(transaction.key)
        .bind(sheet)
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(|r| Ok((r.try_get("row_number")?, cells(r)?)))
        .collect()
    }

    /// Gives the transaction a new id and a new lifetime, and forgets its mapping and
    /// preview, so the same file can be mapped again (`PUT …/{transactionId}/update`); the old
    /// id stops working. Refused while one of its jobs runs.
    pub async fn reissue_transaction(
        &self,
        transaction: &TransactionRow,
        ttl_ms: i64,
    ) -> Result<ResourceId, StoreError> {
        let id = ResourceId::generate();
        let now = now_millis();
        let mut tx = self.housekeeping().await?;
        let updated = sqlx::query(&format!(
            "UPDATE import_transactions SET resource_id = $1, mapping = NULL, mapping_job_id = NULL, \
             import_job_id = NULL, new_count = 0, existing_count = 0, invalid_count = 0, expire_time = $2 \
             WHERE id = $3 AND {IDLE}"
        ))
        .bind(id.as_str())
        .bind(now.saturating_add(ttl_ms))
        .bind(transaction.key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Refused(JOB_RUNNING.into()));
        }
        sqlx::query("DELETE FROM import_users WHERE transaction_id = $1")
            .bind(transaction.key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Deletes expired transactions (and their rows) with no job running; returns how many.
    pub async fn purge_expired_imports(&self) -> Result<u64, StoreError> {
        Ok(sqlx::query(&format!(
            "DELETE FROM import_transactions WHERE expire_time <= $1 AND {IDLE}"
        ))
        .bind(now_millis())
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Stores the mapping of an unmapped transaction and queues the job that applies it, in
    /// one transaction; returns the job's id. A transaction is mapped once (re-mapping goes
    /// through [`Store::reissue_transaction`]).
    pub async fn start_mapping(
        &self,
        transaction: &TransactionRow,
        mapping: &serde_json::Value,
        job: &NewJob,
    ) -> Result<ResourceId, StoreError> {
        let mut tx = self.housekeeping().await?;
        let (job_key, job_id) = insert_job(&mut tx, transaction.company_id, job).await?;
        let updated = sqlx::query(
            "UPDATE import_transactions SET mapping = $1, mapping_job_id = $2 \
             WHERE id = $3 AND mapping IS NULL",
        )
        .bind(mapping.to_string())
        .bind(job_key)
        .bind(transaction.key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Refused(
                "This transaction is already mapped: re-issue it with PUT \
                 /api/target-users/{transactionId}/update to map it again"
                    .into(),
            ));
        }
        tx.commit().await?;
        Ok(job_id)
    }

    /// Queues an import of a mapped transaction, unless one is running; returns the job's id.
    pub async fn start_import(
        &self,
        transaction: &TransactionRow,
        job: &NewJob,
    ) -> Result<ResourceId, StoreError> {
        let mut tx = self.housekeeping().await?;
        let (job_key, job_id) = insert_job(&mut tx, transaction.company_id, job).await?;
        let updated = sqlx::query(&format!(
            "UPDATE import_transactions SET import_job_id = $1 WHERE id = $2 AND {IDLE}"
        ))
        .bind(job_key)
        .bind(transaction.key)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if updated != 1 {
            return Err(StoreError::Refused(JOB_RUNNING.into()));
        }
        tx.commit().await?;
        Ok(job_id)
    }

    /// Forgets the preview of a transaction before its mapping job (re)starts: a job taken
    /// back after a crash maps the file again from the top.
    pub async fn reset_preview(
        &self,
        lease: &Lease,
        transaction: &TransactionRow,
    ) -> Result<(), StoreError> {
        let mut tx = self.housekeeping().await?;
        lease.hold(&mut tx).await?;
        sqlx::query("DELETE FROM import_users WHERE transaction_id = $1")
            .bind(transaction.key)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "UPDATE import_transactions SET new_count = 0, existing_count = 0, invalid_count = 0 \
             WHERE id = $1",
        )
        .bind(transaction.key)
        .execute(&mut *tx)
        .await?;
        set_step_count(&mut *tx, lease, Step::TargetUserMapping, 0, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes a batch of preview rows with the running counts and the mapping step's
    /// progress, in one transaction held by the job's lease.
    pub async fn write_preview_batch(
        &self,
        lease: &Lease,
        transaction: &TransactionRow,
        rows: &[NewPreviewRow],
        done: i64,
    ) -> Result<(), StoreError> {
        let now = now_millis();
        let mut tx = self.housekeeping().await?;
        lease.hold(&mut tx).await?;
        // 18 binds a row, with the transaction and the time bound once per statement.
        for chunk in rows.chunks(self.backend.rows_per_statement(18)) {
            let mut params = Params::new(self.backend);
            let t = params.int(transaction.key);
            let at = params.int(now);
            let mut values = Vec::with_capacity(chunk.len());
            for row in chunk {
                let f = &row.fields;
                let texts = [
                    &f.email,
                    &row.email_folded,
                    &f.first_name,
                    &f.last_name,
                    &f.department,
                    &f.phone_number,
                    &f.priority,
                    &f.time_zone,
                    &f.preferred_language,
                    &f.manager_first_name,
                    &f.manager_last_name,
                    &f.manager_email,
                ];
                let mut tuple = vec![
                    params.text(ResourceId::generate().as_str()),
                    t.clone(),
                    params.int(row.row_number),
                    params.int(row.status as i64),
                ];
                tuple.extend(texts.iter().map(|v| match v {
                    Some(v) => params.text(v.as_str()),
                    None => "NULL".to_owned(),
                }));
                tuple.push(params.text(f.custom_fields.as_str()));
                tuple.push(params.text(row.validation.as_str()));
                tuple.push(at.clone());
                tuple.push(at.clone());
                values.push(format!("({})", tuple.join(", ")));
            }
            let sql = format!(
                "INSERT INTO import_users (resource_id, transaction_id, row_number, status, email, \
                 email_folded, first_name, last_name, department, phone_number, priority, time_zone, \
                 preferred_language, manager_first_name, manager_last_name, manager_email, \
                 custom_fields, validation, create_time, update_time) VALUES {}",
                values.join(", ")
            );
            params.apply(sqlx::query(&sql)).execute(&mut *tx).await?;
        }
        let count = |s: RowStatus| rows.iter().filter(|r| r.status == s).count() as i64;
        sqlx::query(
            "UPDATE import_transactions SET new_count = new_count + $1, \
             existing_count = existing_count + $2, invalid_count = invalid_count + $3 WHERE id = $4",
        )
        .bind(count(RowStatus::New))
        .bind(count(RowStatus::Exists))
        .bind(count(RowStatus::Error))
        .bind(transaction.key)
        .execute(&mut *tx)
        .await?;
        set_step_count(&mut *tx, lease, Step::TargetUserMapping, done, None).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Brings PostgreSQL's statistics of `tables` up to date after a job wrote many rows to
    /// them (SQLite plans these lookups by their indexes without statistics).
    ///
    /// Autovacuum analyzes a table a minute or more after it grew; until then the plans kept
    /// by the job's prepared statements were made for the empty table it started with and scan
    /// it whole, and a 100,000-row import spent 80 s in lookups by email that take 1 ms with
    /// an index. Analyzing samples a few thousand rows and makes those statements plan anew.
    pub async fn analyze(&self, tables: &[&'static str]) -> Result<(), StoreError> {
        if self.backend == crate::Backend::Postgres && !tables.is_empty() {
            // Table names come from the caller's constants, never from input.
            sqlx::query(&format!("ANALYZE {}", tables.join(", ")))
                .execute(self.pool())
                .await?;
        }
        Ok(())
    }

    /// How many preview rows an import with `selection` goes through, by status:
    /// `(new, existing, invalid)`, not counting rows an earlier run already wrote.
    pub async fn import_counts(
        &self,
        transaction: &TransactionRow,
        selection: &ImportSelection,
    ) -> Result<(i64, i64, i64), StoreError> {
        let mut params = Params::new(self.backend);
        let t = params.int(transaction.key);
        let condition = selection.condition(&mut params);
        let sql = format!(
            "SELECT COALESCE(SUM(CASE WHEN u.status = 1 THEN 1 ELSE 0 END), 0) AS new_rows, \
             COALESCE(SUM(CASE WHEN u.status = 2 THEN 1 ELSE 0 END), 0) AS existing_rows, \
             COALESCE(SUM(CASE WHEN u.status = 3 THEN 1 ELSE 0 END), 0) AS invalid_rows \
             FROM import_users u WHERE u.transaction_id = {t} AND u.import_time IS NULL AND {condition}"
        );
        let r = params
            .apply(sqlx::query(&sql))
            .fetch_one(self.pool())
            .await?;
        Ok((
            r.try_get("new_rows")?,
            r.try_get("existing_rows")?,
            r.try_get("invalid_rows")?,
        ))
    }

    /// The next preview rows an import writes: selected, not yet imported, after key `after`,
    /// in key order, at most `limit`.
    pub async fn preview_rows_to_import(
        &self,
        transaction: &TransactionRow,
        selection: &ImportSelection,
        after: i64,
        limit: i64,
    ) -> Result<Vec<PreviewRow>, StoreError> {
        let mut params = Params::new(self.backend);
        let t = params.int(transaction.key);
        let a = params.int(after);
        let l = params.int(limit);
        let condition = selection.condition(&mut params);
        let sql = format!(
            "{PREVIEW_COLUMNS} FROM import_users u WHERE u.transaction_id = {t} AND u.id > {a} \
             AND u.import_time IS NULL AND {condition} ORDER BY u.id LIMIT {l}"
        );
        params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(preview_row)
            .collect()
    }

    /// Marks preview rows imported (after their users were written), so that a re-run import
    /// skips them; held by the job's lease.
    pub async fn mark_imported(&self, lease: &Lease, keys: &[i64]) -> Result<(), StoreError> {
        let now = now_millis();
        let mut tx = self.housekeeping().await?;
        lease.hold(&mut tx).await?;
        for chunk in keys.chunks(1000) {
            let list: Vec<String> = chunk.iter().map(i64::to_string).collect();
            // Keys are integers read from the store, never input: spliced safely.
            sqlx::query(&format!(
                "UPDATE import_users SET import_time = $1, update_time = $1 WHERE id IN ({})",
                list.join(", ")
            ))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Resource ids among `ids` that are not preview rows of the transaction.
    pub async fn unknown_preview_rows(
        &self,
        transaction: &TransactionRow,
        ids: &[String],
    ) -> Result<Vec<String>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut params = Params::new(self.backend);
        let t = params.int(transaction.key);
        let list: Vec<String> = ids.iter().map(|id| params.text(id.clone())).collect();
        let sql = format!(
            "SELECT u.resource_id FROM import_users u WHERE u.transaction_id = {t} \
             AND u.resource_id IN ({})",
            list.join(", ")
        );
        let known: HashSet<String> = params
            .apply(sqlx::query(&sql))
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| r.try_get("resource_id"))
            .collect::<Result<_, _>>()?;
        Ok(ids
            .iter()
            .filter(|id| !known.contains(*id))
            .cloned()
            .collect())
    }

    /// One page of the preview.
    pub async fn search_preview(
        &self,
        transaction: &TransactionRow,
        request: &SearchRequest,
    ) -> Result<(Vec<PreviewRow>, i64, Compiled), StoreError> {
        preview_search(self.backend, transaction, request)?
            .page(self)
            .await
    }

    /// The preview, streamed (export).
    pub fn export_preview(
        &self,
        transaction: &TransactionRow,
        request: &SearchRequest,
    ) -> Result<
        impl futures_core::Stream<Item = Result<PreviewRow, StoreError>> + Send + 'static,
        StoreError,
    > {
        Ok(preview_search(self.backend, transaction, request)?.stream(self))
    }
}

/// Why a transaction cannot change now.
const JOB_RUNNING: &str =
    "A mapping or import job of this transaction is still running: wait until it finishes";

/// A transaction with no mapping or import job queued or running.
const IDLE: &str = "NOT EXISTS (SELECT 1 FROM jobs j WHERE j.status IN (0, 1) \
    AND (j.id = import_transactions.mapping_job_id OR j.id = import_transactions.import_job_id))";

fn cells(r: &AnyRow) -> Result<Vec<String>, StoreError> {
    let text: String = r.try_get("cells")?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("import row: {e}")))
}

fn preview_search(
    backend: crate::Backend,
    transaction: &TransactionRow,
    request: &SearchRequest,
) -> Result<SearchQuery<PreviewRow>, StoreError> {
    let mut params = Params::new(backend);
    let t = params.int(transaction.key);
    SearchQuery::new(
        &PREVIEW_SEARCH,
        request,
        params,
        PREVIEW_COLUMNS,
        |condition| format!("FROM import_users u WHERE u.transaction_id = {t} AND {condition}"),
        preview_row,
    )
}
