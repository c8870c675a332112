//! Mapping: `create-mapping` checks the mapping against the file and the company and queues
//! the mapping job, which reads every row of the sheet through it into the preview.
//!
//! Each row goes through the one validation of target users
//! ([`latchkey_domain::target_user::validate`], the same the API's create and update use) with
//! the company's rules, and becomes:
//! - **Error** with its `validationDetail` when validation refuses it, or when its email
//!   already appeared in an earlier row of the file (the first one counts);
//! - **Exists** when a live user of the company has the email (the import updates it);
//! - **New** otherwise; a new user must also hold every required custom field, so a row
//!   without a value for one is an Error.
//!
//! An empty cell means "no change" for an existing user: only the columns mapped, and only
//! cells with a value, change what is stored.
//!
//! The job maps the file from the top each time it runs, so a job taken back after a crash
//! resumes by starting over; each batch is written with the counts in one transaction.

use std::collections::HashMap;

use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_domain::target_user::{
    CustomFieldInput, FieldError, FieldOwner, TargetUserInput, TargetUserRules, validate,
};
use latchkey_proto::target_user_import::{
    CreateMappingRequest, MappingJobDto, TmpTargetUserCustomField, ValidationError,
};
use latchkey_store::imports::{NewPreviewRow, PreviewFields, RowStatus, TransactionRow};
use latchkey_store::jobs::{NewJob, Step};
use serde::{Deserialize, Serialize};

use super::upload::sheet_index;
use super::{MAPPING_JOB, Mapping, Target, UserField};
use crate::api::target_users::field_errors;
use crate::error::{ApiError, ApiResult};
use crate::jobs::{JobContext, JobError};
use crate::spreadsheet::is_email_header;
use crate::state::AppState;

/// Rows validated and written per batch.
const BATCH: i64 = 1000;

/// The mapping job's input.
#[derive(Debug, Serialize, Deserialize)]
struct Input {
    transaction: i64,
}

/// Checks `body` against the transaction's file and the company, stores the mapping and
/// queues its job; returns the job's id.
pub async fn start(
    state: &AppState,
    scope: &CompanyScope,
    transaction: &TransactionRow,
    body: &CreateMappingRequest,
) -> ApiResult<ResourceId> {
    let rules = state.store.target_user_rules(scope).await?;
    let mapping = mapping(transaction, body, &rules)?;
    let sheet = &transaction.sheets[mapping.sheet];
    let job = NewJob {
        kind: MAPPING_JOB,
        name: "Target User Import Mapping",
        input: serde_json::to_value(Input {
            transaction: transaction.key,
        })
        .map_err(ApiError::internal)?,
        steps: vec![(Step::TargetUserMapping, sheet.row_count)],
        queued_by: scope.actor().clone(),
    };
    let stored = serde_json::to_value(&mapping).map_err(ApiError::internal)?;
    let id = state
        .store
        .start_mapping(transaction, &stored, &job)
        .await?;
    state.jobs.wake();
    Ok(id)
}

/// The request's mapping, resolved against the file's columns, the target-user fields, the
/// company's custom fields and groups; every problem is reported at once.
fn mapping(
    transaction: &TransactionRow,
    body: &CreateMappingRequest,
    rules: &TargetUserRules,
) -> ApiResult<Mapping> {
    let sheet_index = sheet_index(transaction, body.sheet_name.as_deref())?;
    let sheet = &transaction.sheets[sheet_index];
    if sheet.row_count == 0 {
        return Err(ApiError::input(vec![format!(
            "Sheet '{}' has no rows under its header",
            sheet.name
        )]));
    }
    let mut errors = Vec::new();
    let mut columns: Vec<(usize, Target)> = Vec::new();
    let entries = body.field_mappings.as_deref().unwrap_or_default();
    if entries.is_empty() {
        errors.push("fieldMappings is required: map the file's columns to fields".to_owned());
    }
    for (i, entry) in entries.iter().enumerate() {
        let column_name = entry
            .excel_column_name
            .as_deref()
            .map(str::trim)
            .unwrap_or("");
        let field_name = entry.field_name.as_deref().map(str::trim).unwrap_or("");
        let column = if column_name.is_empty() {
            errors.push(format!("fieldMappings[{i}].excelColumnName is required"));
            None
        } else {
            let found = sheet
                .headers
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(column_name));
            if found.is_none() {
                errors.push(format!(
                    "fieldMappings[{i}].excelColumnName '{column_name}' is not a column of the file; its columns are: {}",
                    sheet
                        .headers
                        .iter()
                        .map(|h| format!("'{h}'"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            found
        };
        let target = if field_name.is_empty() {
            errors.push(format!("fieldMappings[{i}].fieldName is required"));
            None
        } else if let Some(field) = UserField::parse(field_name) {
            Some(Target::Field(field))
        } else if let Some(field) = rules.field(field_name).filter(|f| f.is_active) {
            Some(Target::Custom(field.resource_id.clone()))
        } else {
            errors.push(format!(
                "fieldMappings[{i}].fieldName '{field_name}' is not a target-user field or a custom field of the company; the fields are: {}",
                field_names(rules)
            ));
            None
        };
        if let (Some(column), Some(target)) = (column, target) {
            if columns.iter().any(|(_, t)| *t == target) {
                errors.push(format!(
                    "fieldMappings[{i}]: field '{field_name}' is mapped more than once"
                ));
            } else {
                columns.push((column, target));
            }
        }
    }
    if !entries.is_empty()
        && !columns
            .iter()
            .any(|(_, t)| *t == Target::Field(UserField::Email))
    {
        let mut message = "fieldMappings must map a column to email".to_owned();
        if !sheet.headers.iter().any(|h| is_email_header(h)) {
            message.push_str("; the file has no column named Email");
        }
        errors.push(message);
    }
    if let Some(cell) = sheet.headers.iter().find(|h| h.contains('@')) {
        // A first row holding an address is data, not column names: say so, for it explains
        // every "not a column" above.
        if !errors.is_empty() {
            errors.push(format!(
                "The first row of sheet '{}' holds data ('{cell}'), not column names: the file needs a header row",
                sheet.name
            ));
        }
    }
    let groups = body.target_group_resource_ids.clone().unwrap_or_default();
    if !errors.is_empty() {
        return Err(ApiError::input(errors));
    }
    // The groups are checked by the one validation, as for the API's create: another
    // company's group is not found (404).
    let probe = TargetUserInput {
        email: Some("probe@example.com".into()),
        target_groups: Some(groups.clone()),
        ..TargetUserInput::default()
    };
    validate(&probe, rules).map_err(field_errors)?;
    Ok(Mapping {
        sheet: sheet_index,
        columns,
        target_group_resource_ids: groups,
    })
}

/// The names a `fieldName` may take, for messages.
fn field_names(rules: &TargetUserRules) -> String {
    UserField::ALL
        .iter()
        .map(|f| f.api_name().to_owned())
        .chain(
            rules
                .fields
                .iter()
                .filter(|f| f.is_active)
                .map(|f| f.name.clone()),
        )
        .collect::<Vec<_>>()
        .join(", ")
}

/// The company's active custom fields of its target users, by name: the template's extra
/// columns.
pub async fn custom_field_names(state: &AppState, scope: &CompanyScope) -> ApiResult<Vec<String>> {
    Ok(state
        .store
        .custom_fields(scope)
        .await?
        .into_iter()
        .filter(|f| f.is_active && f.owner == FieldOwner::TargetUser)
        .map(|f| f.name)
        .collect())
}

/// `GET /api/target-users/mapping-job/{resourceId}`: the job's status with the counts of the
/// preview so far.
pub async fn status(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<MappingJobDto> {
    let not_found = || ApiError::not_found(format!("Mapping job {id} was not found"));
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    let job = state
        .store
        .job(scope, &rid)
        .await?
        .filter(|j| j.kind == MAPPING_JOB)
        .ok_or_else(not_found)?;
    let transaction = state.store.transaction_of_mapping_job(scope, &job).await?;
    // A transaction re-issued since has forgotten this mapping: only the job remains.
    let (tid, new, existing, invalid, total) = match &transaction {
        Some(t) => (
            t.resource_id.clone(),
            t.new_count,
            t.existing_count,
            t.invalid_count,
            t.sheets
                .get(mapping_sheet(t))
                .map_or(job.target_count, |s| s.row_count),
        ),
        None => (String::new(), 0, 0, 0, job.target_count),
    };
    Ok(MappingJobDto {
        resource_id: job.resource_id.clone(),
        transaction_id: tid,
        status: job.status.name().to_owned(),
        new_user_count: new,
        existing_user_count: existing,
        invalid_user_count: invalid,
        total_row_count: total,
        error_message: job.error_message.clone(),
    })
}

fn mapping_sheet(transaction: &TransactionRow) -> usize {
    transaction
        .mapping
        .as_ref()
        .and_then(|m| m.get("sheet"))
        .and_then(serde_json::Value::as_u64)
        .map_or(0, |s| s as usize)
}

/// The mapping job.
pub async fn run(context: &JobContext) -> Result<(), JobError> {
    let store = &context.state.store;
    let lease = &context.job.lease;
    let input: Input = serde_json::from_value(context.job.input.clone())
        .map_err(|e| JobError::Failed(format!("The job's input is not readable: {e}")))?;
    let transaction = store
        .import_transaction_for_job(lease, input.transaction)
        .await?;
    let mapping = Mapping::of(&transaction).map_err(JobError::Failed)?;
    store.reset_preview(lease, &transaction).await?;
    let rules = store.target_user_rules(&context.scope).await?;
    let mut mapper = Mapper::new(&mapping, &rules);
    let (mut after, mut done) = (0, 0);
    loop {
        let rows = store
            .raw_rows_after(&transaction, mapping.sheet as i64, after, BATCH)
            .await?;
        let Some((last, _)) = rows.last() else { break };
        after = *last;
        done += rows.len() as i64;
        let preview = mapper.batch(context, rows).await?;
        store
            .write_preview_batch(lease, &transaction, &preview, done)
            .await?;
    }
    // The import reads the preview next, by plans made for a table of this size.
    store.analyze(&["import_users"]).await?;
    Ok(())
}

/// A row read through the mapping, before it is checked.
struct Mapped {
    number: i64,
    fields: PreviewFields,
    input: TargetUserInput,
}

/// Reads rows through a mapping, remembering the emails seen so far in the file.
struct Mapper<'a> {
    mapping: &'a Mapping,
    rules: &'a TargetUserRules,
    /// Folded email → the row it first appeared in.
    seen: HashMap<String, i64>,
    /// Required custom fields of every target user, which a new user must hold.
    required: Vec<String>,
}

impl<'a> Mapper<'a> {
    fn new(mapping: &'a Mapping, rules: &'a TargetUserRules) -> Self {
        Self {
            mapping,
            rules,
            seen: HashMap::new(),
            required: rules
                .fields
                .iter()
                .filter(|f| f.is_active && f.is_required && f.owner == FieldOwner::TargetUser)
                .map(|f| f.resource_id.clone())
                .collect(),
        }
    }

    /// One row's cells as the validation's input: mapped cells with a value only.
    fn read(&self, number: i64, cells: &[String]) -> Mapped {
        let mut fields = PreviewFields::default();
        let mut input = TargetUserInput::default();
        let mut customs = Vec::new();
        for (column, target) in &self.mapping.columns {
            let value = cells
                .get(*column)
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .map(str::to_owned);
            match target {
                Target::Field(field) => {
                    let (preview, raw) = match field {
                        UserField::Email => (&mut fields.email, &mut input.email),
                        UserField::FirstName => (&mut fields.first_name, &mut input.first_name),
                        UserField::LastName => (&mut fields.last_name, &mut input.last_name),
                        UserField::Department => (&mut fields.department, &mut input.department),
                        UserField::PhoneNumber => {
                            (&mut fields.phone_number, &mut input.phone_number)
                        }
                        UserField::Priority => (&mut fields.priority, &mut input.priority),
                        UserField::TimeZone => (&mut fields.time_zone, &mut input.time_zone),
                        UserField::PreferredLanguage => (
                            &mut fields.preferred_language,
                            &mut input.preferred_language,
                        ),
                        UserField::ManagerFirstName => (
                            &mut fields.manager_first_name,
                            &mut input.manager_first_name,
                        ),
                        UserField::ManagerLastName => {
                            (&mut fields.manager_last_name, &mut input.manager_last_name)
                        }
                        UserField::ManagerEmail => {
                            (&mut fields.manager_email, &mut input.manager_email)
                        }
                    };
                    *preview = value.clone();
                    *raw = value;
                }
                Target::Custom(id) => {
                    if let Some(def) = self.rules.field(id) {
                        customs.push(TmpTargetUserCustomField {
                            resource_id: def.resource_id.clone(),
                            name: def.name.clone(),
                            data_type: def.data_type.name().to_owned(),
                            value: value.clone(),
                        });
                    }
                    if value.is_some() {
                        input.custom_fields.push(CustomFieldInput {
                            field: id.clone(),
                            value,
                        });
                    }
                }
            }
        }
        if !self.mapping.target_group_resource_ids.is_empty() {
            input.target_groups = Some(self.mapping.target_group_resource_ids.clone());
        }
        fields.custom_fields = serde_json::to_string(&customs).unwrap_or_else(|_| "[]".into());
        Mapped {
            number,
            fields,
            input,
        }
    }

    /// Checks a batch of rows into preview rows.
    async fn batch(
        &mut self,
        context: &JobContext,
        rows: Vec<(i64, Vec<String>)>,
    ) -> Result<Vec<NewPreviewRow>, JobError> {
        let mapped: Vec<Mapped> = rows.iter().map(|(n, cells)| self.read(*n, cells)).collect();
        let mut outcomes: Vec<Result<_, Vec<ValidationError>>> = Vec::with_capacity(mapped.len());
        for row in &mapped {
            let checked = validate(&row.input, self.rules).map_err(details);
            let folded = match &checked {
                Ok(draft) => Some(draft.email.folded()),
                Err(errors) if !errors.iter().any(|e| e.field_name == "email") => {
                    row.input.email.as_deref().map(latchkey_domain::user::fold)
                }
                Err(_) => None,
            };
            let outcome = match folded.as_ref().and_then(|f| self.seen.get(f)) {
                Some(first) => Err(vec![ValidationError {
                    field_name: "email".into(),
                    message: format!(
                        "Email {} appears earlier in the file (row {first}); only the first row with an email is imported",
                        row.input.email.as_deref().unwrap_or_default()
                    ),
                }]),
                None => checked,
            };
            if let Some(f) = folded {
                self.seen.entry(f).or_insert(row.number);
            }
            outcomes.push(outcome);
        }
        let drafts: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().ok()).collect();
        let mut existing = context
            .state
            .store
            .existing_target_users(&context.scope, &drafts)
            .await?
            .into_iter();
        let mut preview = Vec::with_capacity(mapped.len());
        for (row, outcome) in mapped.into_iter().zip(outcomes) {
            let (status, email_folded, problems) = match outcome {
                Ok(draft) => {
                    let folded = Some(draft.email.folded());
                    if existing.next().flatten().is_some() {
                        (RowStatus::Exists, folded, Vec::new())
                    } else {
                        match self.missing_required(&row) {
                            Some(problems) => (RowStatus::Error, folded, problems),
                            None => (RowStatus::New, folded, Vec::new()),
                        }
                    }
                }
                Err(problems) => (RowStatus::Error, None, problems),
            };
            preview.push(NewPreviewRow {
                row_number: row.number,
                status,
                email_folded,
                fields: row.fields,
                validation: serde_json::to_string(&problems).unwrap_or_else(|_| "[]".into()),
            });
        }
        Ok(preview)
    }

    /// For a new user: the required custom fields its row leaves empty, as the validation
    /// words them.
    fn missing_required(&self, row: &Mapped) -> Option<Vec<ValidationError>> {
        let empty: Vec<CustomFieldInput> = self
            .required
            .iter()
            .filter(|id| {
                !row.input.custom_fields.iter().any(|c| {
                    self.rules
                        .field(&c.field)
                        .is_some_and(|f| &f.resource_id == *id)
                })
            })
            .map(|id| CustomFieldInput {
                field: id.clone(),
                value: None,
            })
            .collect();
        if empty.is_empty() {
            return None;
        }
        let mut input = row.input.clone();
        input.custom_fields.extend(empty);
        validate(&input, self.rules).err().map(details)
    }
}

/// Validation problems as the preview shows them.
fn details(errors: Vec<FieldError>) -> Vec<ValidationError> {
    errors
        .into_iter()
        .map(|e| ValidationError {
            field_name: e.field_name,
            message: e.message,
        })
        .collect()
}
