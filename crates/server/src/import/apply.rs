//! The import: `POST /api/target-users/{transactionId}/import` checks the request and the
//! licence and queues the import job, which writes the chosen preview rows as target users.
//!
//! Import types (any case): `All`/`ImportAll` (new and existing users), `Selected`/
//! `ImportSelected` (the listed preview rows), `OnlyNew`, `OnlyUpdateExisting`.
//!
//! The job reads the rows in batches, validates each again with the company's rules as they
//! are now (a field or group may have changed since the mapping), and writes the valid ones
//! through the one write path of target users ([`latchkey_store::Store::write_target_users`]):
//! matched by email, so a row updates the live user with its email or creates one, added to the
//! mapping's target groups. A batch is written all or nothing; when the store refuses a batch
//! for one row's sake (a conflict, a required field), its rows are written one by one so that
//! only the bad ones fail. Each failed row becomes a process error of the job with the row as
//! input (`GET /api/jobs/{resourceId}`).
//!
//! What a failure half-way leaves: every batch written before it, each marked imported in the
//! preview. Running the import again writes only the rows not yet marked, and writing a row
//! twice changes nothing more (a match by email updates the same user with the same values),
//! so a job taken back after a crash simply resumes. An import that would take the company past
//! its licensed user count is refused before it starts, with the numbers; should the count
//! change while it runs, the write path refuses the batch that would pass it and the job ends
//! with the same message, keeping what it wrote.

use std::collections::HashSet;

use latchkey_domain::authz::CompanyScope;
use latchkey_domain::target_user::{CustomFieldInput, TargetUserInput, TargetUserRules, validate};
use latchkey_proto::target_user_import::{ImportRequest, ImportStarted, TmpTargetUserCustomField};
use latchkey_store::StoreError;
use latchkey_store::imports::{ImportSelection, PreviewRow, TransactionRow};
use latchkey_store::jobs::{JobStatus, NewJob, Step};
use latchkey_store::target_users::{Match, TargetUserWrite};
use serde::{Deserialize, Serialize};

use super::{IMPORT_JOB, Mapping};
use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobContext, JobError};
use crate::state::AppState;

/// Rows written per batch: each batch is one transaction of the write path.
const BATCH: i64 = 1000;

/// The tables an import writes to.
const WRITTEN_TABLES: &[&str] = &[
    "target_users",
    "target_group_members",
    "target_user_field_values",
];

/// The import job's input.
#[derive(Debug, Serialize, Deserialize)]
struct Input {
    transaction: i64,
    selection: Selection,
    /// Rows to go through when the job was queued.
    target: i64,
}

/// [`ImportSelection`] as stored in the job's input.
#[derive(Debug, Clone, Serialize, Deserialize)]
enum Selection {
    All,
    OnlyNew,
    OnlyExisting,
    Rows(Vec<String>),
}

impl Selection {
    fn parse(body: &ImportRequest) -> ApiResult<Self> {
        let kind = body.import_type.as_deref().map(str::trim).unwrap_or("");
        let selection = match kind.to_ascii_lowercase().as_str() {
            "" => {
                return Err(ApiError::input(vec![
                    "importType is required: All, Selected, OnlyNew or OnlyUpdateExisting".into(),
                ]));
            }
            "all" | "importall" => Selection::All,
            "onlynew" => Selection::OnlyNew,
            "onlyupdateexisting" => Selection::OnlyExisting,
            "selected" | "importselected" => {
                let ids: Vec<String> = body
                    .selected_resource_ids
                    .iter()
                    .flatten()
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect::<HashSet<_>>()
                    .into_iter()
                    .collect();
                if ids.is_empty() {
                    return Err(ApiError::input(vec![
                        "selectedResourceIds is required when importType is Selected".into(),
                    ]));
                }
                Selection::Rows(ids)
            }
            _ => {
                return Err(ApiError::input(vec![format!(
                    "importType '{kind}' is not one of: All, Selected, OnlyNew, OnlyUpdateExisting (also ImportAll, ImportSelected)"
                )]));
            }
        };
        Ok(selection)
    }

    fn rows(&self) -> ImportSelection {
        match self {
            Selection::All => ImportSelection::All,
            Selection::OnlyNew => ImportSelection::OnlyNew,
            Selection::OnlyExisting => ImportSelection::OnlyExisting,
            Selection::Rows(ids) => ImportSelection::Rows(ids.clone()),
        }
    }
}

/// Checks the request, the mapping's state and the licence, and queues the import.
pub async fn start(
    state: &AppState,
    scope: &CompanyScope,
    transaction: &TransactionRow,
    body: &ImportRequest,
) -> ApiResult<ImportStarted> {
    let selection = Selection::parse(body)?;
    let mapping = Mapping::of(transaction).map_err(|m| ApiError::input(vec![m]))?;
    match transaction.mapping_status {
        Some(JobStatus::Finished) => {}
        Some(JobStatus::FinishedWithError) => {
            return Err(ApiError::input(vec![
                "The mapping job of this transaction ended with an error: re-issue the transaction (PUT …/update) and map it again".into(),
            ]));
        }
        _ => {
            return Err(ApiError::input(vec![
                "The mapping job of this transaction has not finished: wait until GET /api/target-users/mapping-job/{resourceId} says Finished".into(),
            ]));
        }
    }
    if let Selection::Rows(ids) = &selection {
        let unknown = state.store.unknown_preview_rows(transaction, ids).await?;
        if !unknown.is_empty() {
            return Err(ApiError::not_found(format!(
                "selectedResourceIds: {} {} not a row of transaction {}",
                unknown.join(", "),
                if unknown.len() == 1 { "is" } else { "are" },
                transaction.resource_id
            )));
        }
    }
    let (new, existing, invalid) = state
        .store
        .import_counts(transaction, &selection.rows())
        .await?;
    if new + existing + invalid == 0 {
        return Err(ApiError::input(vec![
            "Nothing to import: no row of this kind is left to write (rows already imported are not written again)".into(),
        ]));
    }
    licence(state, scope, new).await?;
    let target = new + existing + invalid;
    let mut steps = vec![(Step::TargetUserAddUpdate, target)];
    if !mapping.target_group_resource_ids.is_empty() {
        steps.push((Step::TargetUserGroupAddUpdate, target));
    }
    if mapping.has_custom_fields() {
        steps.push((Step::TargetUserCustomFieldAddUpdate, target));
    }
    let job = NewJob {
        kind: IMPORT_JOB,
        name: "Target User Import",
        input: serde_json::to_value(Input {
            transaction: transaction.key,
            selection,
            target,
        })
        .map_err(ApiError::internal)?,
        steps,
        queued_by: scope.actor().clone(),
    };
    let id = state.store.start_import(transaction, &job).await?;
    state.jobs.wake();
    Ok(ImportStarted {
        resource_id: id.to_string(),
        transaction_id: transaction.resource_id.clone(),
        new_user_count: new,
        existing_user_count: existing,
    })
}

/// Refuses adding `new` users past the company's licensed user count (the numbers that
/// `GET /api/companies/{id}/license-check` shows).
async fn licence(state: &AppState, scope: &CompanyScope, new: i64) -> ApiResult<()> {
    let record = state.store.company_record(scope).await?;
    let (limit, count) = (record.details.number_of_users, record.target_user_count);
    if new > 0 && record.details.is_number_of_users_limited && count + new > limit {
        return Err(ApiError::input(vec![format!(
            "The import would exceed the company's licence: it allows {limit} target users, the company has {count}, and the import adds {new} new users ({} in all, {} over the limit)",
            count + new,
            count + new - limit
        )]));
    }
    Ok(())
}

/// The import job.
pub async fn run(context: &JobContext) -> Result<(), JobError> {
    let store = &context.state.store;
    let lease = &context.job.lease;
    let input: Input = serde_json::from_value(context.job.input.clone())
        .map_err(|e| JobError::Failed(format!("The job's input is not readable: {e}")))?;
    let transaction = store
        .import_transaction_for_job(lease, input.transaction)
        .await?;
    let mapping = Mapping::of(&transaction).map_err(JobError::Failed)?;
    let selection = input.selection.rows();
    let rules = store.target_user_rules(&context.scope).await?;
    // On a resumed run, what earlier runs wrote counts as done.
    let (new, existing, invalid) = store.import_counts(&transaction, &selection).await?;
    let mut progress = Progress {
        done: (input.target - new - existing - invalid).max(0),
        written: 0,
        grouped: !mapping.target_group_resource_ids.is_empty(),
        customized: mapping.has_custom_fields(),
    };
    let mut after = 0;
    // Each time the rows written double, the statistics of the tables written are renewed, so
    // that the lookups by email keep using their index as the company grows.
    let mut analyze_at = BATCH;
    loop {
        let rows = store
            .preview_rows_to_import(&transaction, &selection, after, BATCH)
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.key;
        let count = rows.len() as i64;
        let result = write_batch(context, &mapping, &rules, rows).await;
        progress.done += count;
        match result {
            Ok(outcome) => {
                progress.written += outcome.written;
                progress.record(context, &outcome.errors).await?;
            }
            Err(Stop::Refused(message, outcome)) => {
                progress.written += outcome.written;
                progress.record(context, &outcome.errors).await?;
                return Err(JobError::Failed(message));
            }
            Err(Stop::Store(e)) => return Err(JobError::Store(e)),
        }
        if progress.written >= analyze_at {
            analyze_at *= 2;
            store.analyze(WRITTEN_TABLES).await?;
        }
    }
    tracing::info!(job = %context.job.resource_id, written = progress.written, "import written");
    Ok(())
}

/// The counts a job shows as it goes.
struct Progress {
    /// Rows gone through (written or failed).
    done: i64,
    /// Rows written in this run, for the log.
    written: i64,
    grouped: bool,
    customized: bool,
}

impl Progress {
    async fn record(
        &self,
        context: &JobContext,
        errors: &[(String, String)],
    ) -> Result<(), JobError> {
        let store = &context.state.store;
        let lease = &context.job.lease;
        if !errors.is_empty() {
            store
                .add_job_errors(lease, Step::TargetUserAddUpdate, errors)
                .await?;
        }
        store
            .set_step_count(lease, Step::TargetUserAddUpdate, self.done, None)
            .await?;
        if self.grouped {
            store
                .set_step_count(lease, Step::TargetUserGroupAddUpdate, self.done, None)
                .await?;
        }
        if self.customized {
            store
                .set_step_count(lease, Step::TargetUserCustomFieldAddUpdate, self.done, None)
                .await?;
        }
        Ok(())
    }
}

/// What a batch did: rows written, and the failed rows as `(message, input)`.
#[derive(Default)]
struct Outcome {
    written: i64,
    errors: Vec<(String, String)>,
}

enum Stop {
    /// The licence refused the batch: the job ends with the message.
    Refused(String, Outcome),
    Store(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Store(e)
    }
}

/// Validates a batch again and writes its valid rows.
async fn write_batch(
    context: &JobContext,
    mapping: &Mapping,
    rules: &TargetUserRules,
    rows: Vec<PreviewRow>,
) -> Result<Outcome, Stop> {
    let store = &context.state.store;
    let mut outcome = Outcome::default();
    let mut writes = Vec::with_capacity(rows.len());
    let mut keys = Vec::with_capacity(rows.len());
    let mut inputs = Vec::with_capacity(rows.len());
    let mut emails = HashSet::new();
    for row in &rows {
        let input = input_of(row, mapping);
        match validate(&input, rules) {
            Ok(draft) if emails.insert(draft.email.folded()) => {
                writes.push(TargetUserWrite {
                    draft,
                    matching: Match::Email,
                });
                keys.push(row.key);
                inputs.push(row_data(row));
            }
            Ok(draft) => outcome.errors.push((
                format!("Email {} appears earlier in the file", draft.email.as_str()),
                row_data(row),
            )),
            Err(errors) => outcome.errors.push((
                errors
                    .into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; "),
                row_data(row),
            )),
        }
    }
    if writes.is_empty() {
        return Ok(outcome);
    }
    match store.write_target_users(&context.scope, &writes).await {
        Ok(_) => {
            store.mark_imported(&context.job.lease, &keys).await?;
            outcome.written += writes.len() as i64;
        }
        Err(StoreError::Refused(message)) => return Err(Stop::Refused(message, outcome)),
        // One row spoiled the batch: write them one by one so that only it fails.
        Err(StoreError::Invalid(_) | StoreError::Conflict(_) | StoreError::NotFound) => {
            for ((write, key), data) in writes.into_iter().zip(keys).zip(inputs) {
                match store
                    .write_target_users(&context.scope, std::slice::from_ref(&write))
                    .await
                {
                    Ok(_) => {
                        store.mark_imported(&context.job.lease, &[key]).await?;
                        outcome.written += 1;
                    }
                    Err(StoreError::Refused(message)) => {
                        return Err(Stop::Refused(message, outcome));
                    }
                    Err(StoreError::Invalid(messages)) => {
                        outcome.errors.push((messages.join("; "), data));
                    }
                    Err(StoreError::Conflict(what)) => {
                        outcome
                            .errors
                            .push((format!("{what} already exists"), data));
                    }
                    Err(StoreError::NotFound) => outcome.errors.push((
                        "A target group or custom field of the mapping no longer exists".into(),
                        data,
                    )),
                    Err(e) => return Err(Stop::Store(e)),
                }
            }
        }
        Err(e) => return Err(Stop::Store(e)),
    }
    Ok(outcome)
}

/// A preview row as the validation's input: its mapped cells with a value, the mapping's
/// groups added.
fn input_of(row: &PreviewRow, mapping: &Mapping) -> TargetUserInput {
    let f = &row.fields;
    let customs: Vec<TmpTargetUserCustomField> =
        serde_json::from_str(&f.custom_fields).unwrap_or_default();
    TargetUserInput {
        email: f.email.clone(),
        first_name: f.first_name.clone(),
        last_name: f.last_name.clone(),
        department: f.department.clone(),
        phone_number: f.phone_number.clone(),
        priority: f.priority.clone(),
        time_zone: f.time_zone.clone(),
        preferred_language: f.preferred_language.clone(),
        manager_first_name: f.manager_first_name.clone(),
        manager_last_name: f.manager_last_name.clone(),
        manager_email: f.manager_email.clone(),
        is_active: None,
        custom_fields: customs
            .into_iter()
            .filter(|c| c.value.is_some())
            .map(|c| CustomFieldInput {
                field: c.resource_id,
                value: c.value,
            })
            .collect(),
        target_groups: (!mapping.target_group_resource_ids.is_empty())
            .then(|| mapping.target_group_resource_ids.clone()),
        replace_groups: false,
    }
}

/// A row as a process error's `inputData`: its number and mapped fields, as JSON.
fn row_data(row: &PreviewRow) -> String {
    let f = &row.fields;
    let mut data = serde_json::Map::new();
    data.insert("row".into(), row.row_number.into());
    for (name, value) in [
        ("email", &f.email),
        ("firstName", &f.first_name),
        ("lastName", &f.last_name),
        ("department", &f.department),
        ("phoneNumber", &f.phone_number),
        ("priority", &f.priority),
        ("timeZone", &f.time_zone),
        ("preferredLanguage", &f.preferred_language),
        ("managerFirstName", &f.manager_first_name),
        ("managerLastName", &f.manager_last_name),
        ("managerEmail", &f.manager_email),
    ] {
        if let Some(v) = value {
            data.insert(name.into(), v.clone().into());
        }
    }
    let customs: Vec<TmpTargetUserCustomField> =
        serde_json::from_str(&f.custom_fields).unwrap_or_default();
    for c in customs {
        if let Some(v) = c.value {
            data.insert(c.name, v.into());
        }
    }
    serde_json::Value::Object(data).to_string()
}
