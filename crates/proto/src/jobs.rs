//! Job DTOs (`/api/jobs`): background work with its progress, steps and per-row errors.

use serde::{Deserialize, Serialize};

/// `JobResult`: a job of the company.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobResult {
    /// The job's number.
    pub job_id: i64,
    /// The company's number.
    pub company_id: i64,
    pub name: String,
    /// Percent done, 0 to 100.
    pub progress: f64,
    /// 0 Idle (queued), 1 Running, 2 Finished, 3 FinishedWithError.
    pub status: i64,
    pub resource_id: String,
    pub create_time: String,
    /// Set once the job has ended.
    pub end_time: Option<String>,
    /// Why the job ended with an error.
    pub error_message: Option<String>,
    /// Seconds left, estimated from the pace so far (0 when unknown or ended).
    pub estimated_time: f64,
    pub is_finished: bool,
}

/// `JobDetailResult`: a job with its steps.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct JobDetailResult {
    #[serde(flatten)]
    pub job: JobResult,
    pub process_results: Vec<ProcessResult>,
}

/// `ProcessResult`: one step of a job (`Target User Add/Update`, …) with its counts.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessResult {
    pub name: String,
    /// 1 Target User Add/Update, 2 Target User Group Add/Update, 3 Target User Custom Field
    /// Add/Update, 4 Target User Mapping.
    #[serde(rename = "type")]
    pub step_type: i64,
    pub current_count: i64,
    pub target_count: i64,
    /// The first 1,000 errors of the step.
    pub process_errors: Vec<ProcessErrorResult>,
    pub exists_error: bool,
    pub create_time: String,
    pub end_time: Option<String>,
    pub estimated_time: f64,
    pub is_finished: bool,
    pub progress: f64,
}

/// `ProcessErrorResult`: what went wrong with one input, and the input.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessErrorResult {
    pub error_message: String,
    /// The row as it came, as a JSON object of its mapped fields with its `row` number.
    pub input_data: Option<String>,
}
