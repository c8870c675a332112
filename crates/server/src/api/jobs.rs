//! `/api/jobs`: the company's background jobs (imports) with their progress, steps and the
//! errors of each step, newest first.
//!
//! A job belongs to the company it works on: the caller's own, or the one it names with
//! `X-KEEPNET-Company-Id`. Another company's job is not found.

use axum::Json;
use axum::extract::{Path, State};
use latchkey_domain::ids::ResourceId;
use latchkey_domain::time::{millis_to_rfc3339, now_millis};
use latchkey_proto::ServiceResult;
use latchkey_proto::jobs::{JobDetailResult, JobResult, ProcessErrorResult, ProcessResult};
use latchkey_store::jobs::{JobRow, JobStatus, StepRow};

use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::state::AppState;

const TAG: &str = "Job";

/// Jobs listed at most: the newest.
const MAX_LISTED: i64 = 500;

/// The company's jobs, newest first (the latest 500). The contract declares one `JobResult`;
/// this answers the list its summary promises.
#[utoipa::path(get, path = "/api/jobs", tag = TAG, summary = "Returns all available jobs",
    responses((status = 200, body = ServiceResult<Vec<JobResult>>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
) -> ApiResult<Json<ServiceResult<Vec<JobResult>>>> {
    let jobs = state.store.jobs(&scope, MAX_LISTED).await?;
    Ok(ok(jobs.iter().map(result).collect()))
}

#[utoipa::path(get, path = "/api/jobs/{resourceId}", tag = TAG, summary = "Retrieves an existing job detail",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<JobDetailResult>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn get(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<JobDetailResult>>> {
    let not_found = || ApiError::not_found(format!("Job {id} was not found"));
    let rid = ResourceId::parse(&id).ok_or_else(not_found)?;
    let job = state.store.job(&scope, &rid).await?.ok_or_else(not_found)?;
    let steps = state.store.job_steps(&job).await?;
    Ok(ok(JobDetailResult {
        job: result(&job),
        process_results: steps.into_iter().map(|s| step(&job, s)).collect(),
    }))
}

fn result(job: &JobRow) -> JobResult {
    JobResult {
        job_id: job.key,
        company_id: job.company_id,
        name: job.name.clone(),
        progress: progress(job.status, job.current_count, job.target_count),
        status: job.status as i64,
        resource_id: job.resource_id.clone(),
        create_time: millis_to_rfc3339(job.create_time),
        end_time: job.end_time.map(millis_to_rfc3339),
        error_message: job.error_message.clone(),
        estimated_time: estimate(
            job.status,
            job.start_time,
            job.current_count,
            job.target_count,
        ),
        is_finished: job.status.is_finished(),
    }
}

fn step(job: &JobRow, s: StepRow) -> ProcessResult {
    let finished = job.status.is_finished() || s.end_time.is_some();
    let status = if finished {
        job.status
    } else {
        JobStatus::Running
    };
    ProcessResult {
        name: s.name,
        step_type: s.step,
        current_count: s.current_count,
        target_count: s.target_count,
        exists_error: s.error_count > 0,
        process_errors: s
            .errors
            .into_iter()
            .map(|(message, input)| ProcessErrorResult {
                error_message: message,
                input_data: input,
            })
            .collect(),
        create_time: millis_to_rfc3339(s.create_time),
        end_time: s.end_time.map(millis_to_rfc3339),
        estimated_time: estimate(status, job.start_time, s.current_count, s.target_count),
        is_finished: finished,
        progress: progress(status, s.current_count, s.target_count),
    }
}

/// Percent done: 100 once finished, else the counts' ratio.
fn progress(status: JobStatus, current: i64, target: i64) -> f64 {
    if status.is_finished() {
        100.0
    } else if target <= 0 {
        0.0
    } else {
        (current as f64 * 100.0 / target as f64).clamp(0.0, 100.0)
    }
}

/// Seconds left at the pace so far; 0 when ended or not yet measurable.
fn estimate(status: JobStatus, start: Option<i64>, current: i64, target: i64) -> f64 {
    match (status, start) {
        (JobStatus::Running, Some(start)) if current > 0 && target > current => {
            let elapsed = (now_millis() - start).max(0) as f64 / 1000.0;
            elapsed * (target - current) as f64 / current as f64
        }
        _ => 0.0,
    }
}
