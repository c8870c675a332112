//! Durable jobs: work that outlives the request that asked for it (imports), kept as rows.
//!
//! A job is queued in `jobs` (status Idle) by the request, usually in the same transaction as
//! the data it will work on. A server claims it ([`Store::claim_job`]) by setting itself as
//! the lease owner with an expiry, in one conditional statement (on PostgreSQL the candidate
//! is picked `FOR UPDATE SKIP LOCKED`, so replicas claiming at once take different jobs; SQLite
//! has one writer). While the job runs, its server renews the lease ([`Store::renew_lease`]);
//! every write a job makes to the data checks, in its own transaction, that the lease is still
//! its ([`Lease`]), so a server that lost its lease (paused past the expiry, then resumed) can
//! no longer change anything once another has taken the job over.
//!
//! A lease that runs out means its server died (`kill -9`, a crash, a lost machine): the next
//! claim by any server takes the job back and runs it again, and the job resumes from what it
//! had committed. A job taken back [`MAX_ATTEMPTS`] times is ended `FinishedWithError` with the
//! reason ([`Store::end_abandoned_jobs`]) rather than retried forever. A server that stops
//! gracefully hands its jobs back at once ([`Store::release_jobs`]).
//!
//! Why our own table and not a job crate: the well-kept Rust job queues (apalis and its SQL
//! storages) run on sqlx's typed `SqlitePool`/`PgPool` with their own schema and job table, so
//! they would need a second pool and a second set of migrations beside our one `Any` pool, and
//! what `/api/jobs` must show (the company, named steps with counts, per-row errors) would
//! still be tables of ours. What we need of a queue is one claim statement, a lease and a
//! reclaim, which fit in this file.

use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::now_millis;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

use crate::{Backend, Store, StoreError};

/// Claims a job may take before it is ended instead of taken back again: a job that kills its
/// server every time must not take every server down in turn forever.
pub const MAX_ATTEMPTS: i64 = 3;

/// The state of a job, stored as its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Idle = 0,
    Running = 1,
    Finished = 2,
    FinishedWithError = 3,
}

impl JobStatus {
    pub fn from_stored(n: i64) -> Self {
        match n {
            0 => Self::Idle,
            1 => Self::Running,
            2 => Self::Finished,
            _ => Self::FinishedWithError,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Idle => "Idle",
            Self::Running => "Running",
            Self::Finished => "Finished",
            Self::FinishedWithError => "FinishedWithError",
        }
    }

    pub fn is_finished(self) -> bool {
        matches!(self, Self::Finished | Self::FinishedWithError)
    }
}

/// A step of a job (`processResults`), by its stored number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    TargetUserAddUpdate = 1,
    TargetUserGroupAddUpdate = 2,
    TargetUserCustomFieldAddUpdate = 3,
    TargetUserMapping = 4,
}

impl Step {
    /// The name the Job Log shows.
    pub fn name(self) -> &'static str {
        match self {
            Self::TargetUserAddUpdate => "Target User Add/Update",
            Self::TargetUserGroupAddUpdate => "Target User Group Add/Update",
            Self::TargetUserCustomFieldAddUpdate => "Target User Custom Field Add/Update",
            Self::TargetUserMapping => "Target User Mapping",
        }
    }
}

/// A job to queue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What runs it.
    pub kind: &'static str,
    pub name: &'static str,
    pub input: serde_json::Value,
    /// Its steps, each with the count it will reach.
    pub steps: Vec<(Step, i64)>,
    /// Who queued it: the job's changes are audited as theirs.
    pub queued_by: latchkey_domain::audit::Actor,
}

/// A job as a company-scoped read found it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct JobRow {
    pub key: i64,
    pub resource_id: String,
    pub company_id: i64,
    pub kind: String,
    pub name: String,
    pub status: JobStatus,
    pub error_message: Option<String>,
    pub create_time: i64,
    pub start_time: Option<i64>,
    pub end_time: Option<i64>,
    /// All steps together.
    pub current_count: i64,
    pub target_count: i64,
}

#[derive(Debug, Clone)]
pub struct StepRow {
    pub step: i64,
    pub name: String,
    pub current_count: i64,
    pub target_count: i64,
    pub create_time: i64,
    pub end_time: Option<i64>,
    /// The first errors of the step (at most [`MAX_ERRORS_SHOWN`]), and how many there are.
    pub errors: Vec<(String, Option<String>)>,
    pub error_count: i64,
}

/// Errors listed per step in a job's detail; the count says how many there are in all.
pub const MAX_ERRORS_SHOWN: i64 = 1000;

/// A job this server has claimed, with what it needs to run it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ClaimedJob {
    pub key: i64,
    pub resource_id: String,
    pub company: ResourceId,
    pub kind: String,
    pub input: serde_json::Value,
    /// 1 for the first run; more when the job was taken back from a server that died.
    pub attempt: i64,
    pub lease: Lease,
    /// Who queued it (`None` for a job queued before that was kept).
    pub queued_by: Option<latchkey_domain::audit::Actor>,
}

/// A server's hold on a running job. Writes made on the job's behalf go through
/// [`Lease::hold`] in their transaction, so they commit only while the hold is real.
#[derive(Debug, Clone)]
pub struct Lease {
    job: i64,
    owner: std::sync::Arc<str>,
}

impl Lease {
    /// Checks, inside the caller's transaction, that the job is still this server's, and
    /// marks it touched. On PostgreSQL this also locks the job's row until the transaction
    /// ends, so a reclaim cannot take the job between this check and the commit.
    pub async fn hold(&self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        let held = sqlx::query(
            "UPDATE jobs SET update_time = $1 WHERE id = $2 AND lease_owner = $3 AND status = 1",
        )
        .bind(now_millis())
        .bind(self.job)
        .bind(&*self.owner)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        if held == 1 {
            Ok(())
        } else {
            Err(StoreError::LeaseLost)
        }
    }

    pub fn job_key(&self) -> i64 {
        self.job
    }
}

/// The sums are cast because PostgreSQL sums BIGINTs as NUMERIC.
const JOB_COLUMNS: &str = "j.id, j.resource_id, j.company_id, j.kind, j.name, j.status, j.error_message, \
    j.create_time, j.start_time, j.end_time, \
    (SELECT CAST(COALESCE(SUM(s.current_count), 0) AS BIGINT) FROM job_steps s WHERE s.job_id = j.id) AS current_count, \
    (SELECT CAST(COALESCE(SUM(s.target_count), 0) AS BIGINT) FROM job_steps s WHERE s.job_id = j.id) AS target_count";

fn job_row(r: &AnyRow) -> Result<JobRow, StoreError> {
    Ok(JobRow {
        key: r.try_get("id")?,
        resource_id: r.try_get("resource_id")?,
        company_id: r.try_get("company_id")?,
        kind: r.try_get("kind")?,
        name: r.try_get("name")?,
        status: JobStatus::from_stored(r.try_get("status")?),
        error_message: r.try_get("error_message")?,
        create_time: r.try_get("create_time")?,
        start_time: r.try_get("start_time")?,
        end_time: r.try_get("end_time")?,
        current_count: r.try_get("current_count")?,
        target_count: r.try_get("target_count")?,
    })
}

/// Queues `job` for `company_id` on `conn` (the caller's transaction); returns its key and id.
pub(crate) async fn insert_job(
    conn: &mut AnyConnection,
    company_id: i64,
    job: &NewJob,
) -> Result<(i64, ResourceId), StoreError> {
    let id = ResourceId::generate();
    let now = now_millis();
    let key: i64 = sqlx::query(
        "INSERT INTO jobs (resource_id, company_id, kind, name, input, status, create_time, update_time, queued_by) \
         VALUES ($1, $2, $3, $4, $5, 0, $6, $6, $7) RETURNING id",
    )
    .bind(id.as_str())
    .bind(company_id)
    .bind(job.kind)
    .bind(job.name)
    .bind(job.input.to_string())
    .bind(now)
    .bind(job.queued_by.to_json().to_string())
    .fetch_one(&mut *conn)
    .await?
    .try_get("id")?;
    for (step, target) in &job.steps {
        sqlx::query(
            "INSERT INTO job_steps (job_id, step, name, current_count, target_count, create_time) \
             VALUES ($1, $2, $3, 0, $4, $5)",
        )
        .bind(key)
        .bind(*step as i64)
        .bind(step.name())
        .bind(*target)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok((key, id))
}

impl Store {
    /// Takes the oldest job that is queued, or running under a lease that has run out, for
    /// `owner` until `lease_ms` from now. `None` when there is nothing to do.
    pub async fn claim_job(
        &self,
        owner: &std::sync::Arc<str>,
        lease_ms: i64,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let now = now_millis();
        // One statement, so that the pick and the claim cannot be split by another claimer.
        // SQLite runs one writer at a time; PostgreSQL skips rows another claimer has locked
        // instead of waiting for them and then finding them taken.
        let lock = match self.backend {
            Backend::Postgres => " FOR UPDATE SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let runnable = "(status = 0 OR (status = 1 AND lease_expires < $3)) AND attempts < $4";
        // Looked for first with a read: most polls find nothing, and on SQLite even an UPDATE
        // that changes nothing waits for the write lock that an upload may be holding.
        let probe = format!(
            "SELECT id FROM jobs WHERE {} LIMIT 1",
            runnable.replace("$3", "$1").replace("$4", "$2")
        );
        if sqlx::query(&probe)
            .bind(now)
            .bind(MAX_ATTEMPTS)
            .fetch_optional(self.pool())
            .await?
            .is_none()
        {
            return Ok(None);
        }
        let sql = format!(
            "UPDATE jobs SET status = 1, lease_owner = $1, lease_expires = $2, attempts = attempts + 1, \
             start_time = COALESCE(start_time, $3), update_time = $3 \
             WHERE id = (SELECT id FROM jobs WHERE {runnable} ORDER BY id LIMIT 1{lock}) AND {runnable} \
             RETURNING id, resource_id, company_id, kind, input, attempts, queued_by"
        );
        let row = sqlx::query(&sql)
            .bind(&**owner)
            .bind(now + lease_ms)
            .bind(now)
            .bind(MAX_ATTEMPTS)
            .fetch_optional(self.pool())
            .await?;
        let Some(r) = row else { return Ok(None) };
        let key: i64 = r.try_get("id")?;
        let input: String = r.try_get("input")?;
        let company: String = sqlx::query("SELECT resource_id FROM companies WHERE id = $1")
            .bind(r.try_get::<i64, _>("company_id")?)
            .fetch_one(self.pool())
            .await?
            .try_get("resource_id")?;
        Ok(Some(ClaimedJob {
            key,
            resource_id: r.try_get("resource_id")?,
            company: ResourceId::from_stored(company),
            kind: r.try_get("kind")?,
            input: serde_json::from_str(&input)
                .map_err(|e| StoreError::Corrupt(format!("job {key} input: {e}")))?,
            attempt: r.try_get("attempts")?,
            queued_by: r
                .try_get::<Option<String>, _>("queued_by")?
                .and_then(|t| serde_json::from_str(&t).ok())
                .as_ref()
                .and_then(latchkey_domain::audit::Actor::from_json),
            lease: Lease {
                job: key,
                owner: owner.clone(),
            },
        }))
    }

    /// Extends a lease to `lease_ms` from now. False when the job is no longer this server's
    /// (taken back after the lease ran out): the server must stop working on it.
    pub async fn renew_lease(&self, lease: &Lease, lease_ms: i64) -> Result<bool, StoreError> {
        let now = now_millis();
        let renewed = sqlx::query(
            "UPDATE jobs SET lease_expires = $1 WHERE id = $2 AND lease_owner = $3 AND status = 1",
        )
        .bind(now + lease_ms)
        .bind(lease.job)
        .bind(&*lease.owner)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(renewed == 1)
    }

    /// Ends a job this server holds: `Finished`, or `FinishedWithError` with the reason.
    pub async fn finish_job(
        &self,
        lease: &Lease,
        outcome: Result<(), String>,
    ) -> Result<bool, StoreError> {
        let now = now_millis();
        let (status, error) = match outcome {
            Ok(()) => (JobStatus::Finished, None),
            Err(e) => (JobStatus::FinishedWithError, Some(e)),
        };
        let mut tx = self.housekeeping().await?;
        let ended = sqlx::query(
            "UPDATE jobs SET status = $1, error_message = $2, end_time = $3, update_time = $3, \
             lease_owner = NULL, lease_expires = NULL WHERE id = $4 AND lease_owner = $5 AND status = 1",
        )
        .bind(status as i64)
        .bind(error)
        .bind(now)
        .bind(lease.job)
        .bind(&*lease.owner)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        sqlx::query("UPDATE job_steps SET end_time = $1 WHERE job_id = $2 AND end_time IS NULL")
            .bind(now)
            .bind(lease.job)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(ended == 1)
    }

    /// Ends the jobs whose lease ran out after their last allowed attempt, with the reason;
    /// returns how many. Every server calls this at start and periodically: a job whose server
    /// died never stays `Running`.
    pub async fn end_abandoned_jobs(&self) -> Result<u64, StoreError> {
        let now = now_millis();
        let message = format!(
            "The job was interrupted {MAX_ATTEMPTS} times (the server running it stopped before it \
             finished) and was given up; what it had completed is kept"
        );
        let abandoned = sqlx::query(
            "SELECT id FROM jobs WHERE status = 1 AND lease_expires < $1 AND attempts >= $2 LIMIT 1",
        )
        .bind(now)
        .bind(MAX_ATTEMPTS)
        .fetch_optional(self.pool())
        .await?;
        if abandoned.is_none() {
            return Ok(0);
        }
        let mut tx = self.housekeeping().await?;
        let ended = sqlx::query(
            "UPDATE jobs SET status = 3, error_message = $1, end_time = $2, update_time = $2, \
             lease_owner = NULL, lease_expires = NULL \
             WHERE status = 1 AND lease_expires < $2 AND attempts >= $3",
        )
        .bind(&message)
        .bind(now)
        .bind(MAX_ATTEMPTS)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if ended > 0 {
            sqlx::query(
                "UPDATE job_steps SET end_time = $1 WHERE end_time IS NULL \
                 AND job_id IN (SELECT id FROM jobs WHERE status = 3 AND end_time = $1)",
            )
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(ended)
    }

    /// Hands back every job `owner` holds, as queued and without counting the attempt: a
    /// server stopping gracefully lets another (or its own next start) resume them at once.
    pub async fn release_jobs(&self, owner: &str) -> Result<u64, StoreError> {
        Ok(sqlx::query(
            "UPDATE jobs SET status = 0, lease_owner = NULL, lease_expires = NULL, \
             attempts = attempts - 1, update_time = $1 WHERE lease_owner = $2 AND status = 1",
        )
        .bind(now_millis())
        .bind(owner)
        .execute(self.pool())
        .await?
        .rows_affected())
    }

    /// Sets a step's counts (`target` only when given).
    pub async fn set_step_count(
        &self,
        lease: &Lease,
        step: Step,
        current: i64,
        target: Option<i64>,
    ) -> Result<(), StoreError> {
        set_step_count(self.pool(), lease, step, current, target).await
    }

    /// Records what went wrong with inputs of a step: `(message, input)` each.
    pub async fn add_job_errors(
        &self,
        lease: &Lease,
        step: Step,
        errors: &[(String, String)],
    ) -> Result<(), StoreError> {
        let mut conn = self.pool().acquire().await?;
        add_job_errors(self.backend, &mut conn, lease, step, errors).await
    }

    /// The company's jobs, newest first, at most `limit`.
    pub async fn jobs(&self, scope: &CompanyScope, limit: i64) -> Result<Vec<JobRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs j WHERE j.company_id = $1 ORDER BY j.id DESC LIMIT $2"
        ))
        .bind(scope.company_id())
        .bind(limit)
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(job_row)
        .collect()
    }

    /// One of the company's jobs.
    pub async fn job(
        &self,
        scope: &CompanyScope,
        id: &ResourceId,
    ) -> Result<Option<JobRow>, StoreError> {
        sqlx::query(&format!(
            "SELECT {JOB_COLUMNS} FROM jobs j WHERE j.company_id = $1 AND j.resource_id = $2"
        ))
        .bind(scope.company_id())
        .bind(id.as_str())
        .fetch_optional(self.pool())
        .await?
        .as_ref()
        .map(job_row)
        .transpose()
    }

    /// A job's steps with their first errors.
    pub async fn job_steps(&self, job: &JobRow) -> Result<Vec<StepRow>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.step, s.name, s.current_count, s.target_count, s.create_time, s.end_time, \
             (SELECT COUNT(*) FROM job_errors e WHERE e.job_id = s.job_id AND e.step = s.step) AS error_count \
             FROM job_steps s WHERE s.job_id = $1 ORDER BY s.step",
        )
        .bind(job.key)
        .fetch_all(self.pool())
        .await?;
        let mut steps = Vec::with_capacity(rows.len());
        for r in rows {
            let step: i64 = r.try_get("step")?;
            let errors = sqlx::query(
                "SELECT error_message, input_data FROM job_errors WHERE job_id = $1 AND step = $2 \
                 ORDER BY id LIMIT $3",
            )
            .bind(job.key)
            .bind(step)
            .bind(MAX_ERRORS_SHOWN)
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|e| Ok((e.try_get("error_message")?, e.try_get("input_data")?)))
            .collect::<Result<_, sqlx::Error>>()?;
            steps.push(StepRow {
                step,
                name: r.try_get("name")?,
                current_count: r.try_get("current_count")?,
                target_count: r.try_get("target_count")?,
                create_time: r.try_get("create_time")?,
                end_time: r.try_get("end_time")?,
                errors,
                error_count: r.try_get("error_count")?,
            });
        }
        Ok(steps)
    }
}

pub(crate) async fn set_step_count<'e, E: Executor<'e, Database = Any>>(
    executor: E,
    lease: &Lease,
    step: Step,
    current: i64,
    target: Option<i64>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE job_steps SET current_count = $1, target_count = COALESCE($2, target_count) \
         WHERE job_id = $3 AND step = $4",
    )
    .bind(current)
    .bind(target)
    .bind(lease.job)
    .bind(step as i64)
    .execute(executor)
    .await?;
    Ok(())
}

async fn add_job_errors(
    backend: crate::Backend,
    conn: &mut AnyConnection,
    lease: &Lease,
    step: Step,
    errors: &[(String, String)],
) -> Result<(), StoreError> {
    for chunk in errors.chunks(backend.rows_per_statement(4)) {
        let mut sql = String::from(
            "INSERT INTO job_errors (job_id, step, error_message, input_data) VALUES ",
        );
        for i in 0..chunk.len() {
            let b = i * 4;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("(${}, ${}, ${}, ${})", b + 1, b + 2, b + 3, b + 4));
        }
        let mut query = sqlx::query(&sql);
        for (message, input) in chunk {
            query = query
                .bind(lease.job)
                .bind(step as i64)
                .bind(message.as_str())
                .bind(input.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}
