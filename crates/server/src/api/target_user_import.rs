//! The import operations of `/api/target-users`: upload, the file's summary, the template,
//! create-mapping and its job, the preview (search and export), re-issuing a transaction, and
//! the import. The rest of `/api/target-users` is `target_users.rs`; the flow is described in
//! [`crate::import`].
//!
//! Every operation acts on the caller's company or the one named by `X-KEEPNET-Company-Id`; a
//! transaction or job of another company answers 404, as an expired transaction does.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use latchkey_domain::time::millis_to_rfc3339;
use latchkey_proto::ServiceResult;
use latchkey_proto::search::{PagedResults, SearchRequest};
use latchkey_proto::target_user_import::{
    CreateMappingRequest, ExampleFileRequest, ImportRequest, ImportStarted, MappingJobDto,
    MappingJobStarted, SearchTmpTargetUserServiceResult, TmpTargetUserCustomField,
    TmpTargetUserSearchView, TransactionIdDto, UploadFileDto, UploadForm, ValidationError,
};
use latchkey_store::imports::{PreviewRow, TransactionRow};

use super::export;
use super::json::JsonBody;
use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::import::{self, upload};
use crate::state::AppState;

const TAG: &str = "TargetUser";

#[utoipa::path(post, path = "/api/target-users/upload", tag = TAG,
    summary = "Upload target user list file",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ServiceResult<UploadFileDto>),
        (status = 413, description = "The file is larger than `import_max_file_mib`")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<ServiceResult<UploadFileDto>>> {
    let (id, summary) = upload::receive(&state, &scope, multipart).await?;
    Ok(ok(UploadFileDto {
        transaction_id: id.to_string(),
        row_count: summary.row_count,
        column_count: summary.column_count,
        duplicate_count: summary.duplicate_count,
    }))
}

#[utoipa::path(get, path = "/api/target-users/upload/{transactionId}", tag = TAG,
    summary = "Get uploaded target user list file summary",
    params(("transactionId" = String, Path)),
    responses((status = 200, body = ServiceResult<latchkey_proto::target_user_import::UploadedFileDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn uploaded_file(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<latchkey_proto::target_user_import::UploadedFileDto>>> {
    let transaction = upload::find(&state, &scope, &id).await?;
    Ok(ok(upload::summary(&state, &transaction, None).await?))
}

#[utoipa::path(post, path = "/api/target-users/example-file", tag = TAG,
    summary = "Get example user list file",
    request_body = ExampleFileRequest,
    responses((status = 200, description = "The template, CSV or XLSX")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn example_file(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<ExampleFileRequest>,
) -> ApiResult<Response> {
    let format = match body.export_type.as_deref().map(str::trim) {
        None | Some("") => {
            return Err(ApiError::input(vec![
                "exportType is required: Excel or Csv".into(),
            ]));
        }
        other => export::Format::parse(other)?,
    };
    let custom = import::mapping::custom_field_names(&state, &scope).await?;
    import::template::respond(&state, format, custom).await
}

#[utoipa::path(post, path = "/api/target-users/create-mapping", tag = TAG,
    summary = "Creates a mapping job for transaction id",
    request_body = CreateMappingRequest,
    responses((status = 200, body = ServiceResult<MappingJobStarted>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn create_mapping(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    JsonBody(body): JsonBody<CreateMappingRequest>,
) -> ApiResult<Json<ServiceResult<MappingJobStarted>>> {
    let Some(id) = body
        .transaction_id
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
    else {
        return Err(ApiError::input(vec!["transactionId is required".into()]));
    };
    let transaction = upload::find(&state, &scope, id).await?;
    let job = import::mapping::start(&state, &scope, &transaction, &body).await?;
    Ok(ok(MappingJobStarted {
        resource_id: job.to_string(),
        transaction_id: transaction.resource_id,
    }))
}

#[utoipa::path(get, path = "/api/target-users/mapping-job/{resourceId}", tag = TAG,
    summary = "Gets the status of the mapping job",
    params(("resourceId" = String, Path)),
    responses((status = 200, body = ServiceResult<MappingJobDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn mapping_job(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<MappingJobDto>>> {
    Ok(ok(import::mapping::status(&state, &scope, &id).await?))
}

/// The preview: each row of the file as mapped, New, Exists or Error with the reasons, and the
/// three counts. As the contract has it, a success is not wrapped in the envelope (`status`
/// is `SUCCESS`); a failure is the envelope, as everywhere else.
#[utoipa::path(post, path = "/api/target-users/{transactionId}/search", tag = TAG,
    summary = "Returns a list of tmp target users to be imported",
    params(("transactionId" = String, Path)),
    request_body = SearchRequest,
    responses((status = 200, body = SearchTmpTargetUserServiceResult)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn preview(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    body: Result<JsonBody<SearchRequest>, ApiError>,
) -> Response {
    let result = async {
        let JsonBody(request) = body?;
        let transaction = upload::find(&state, &scope, &id).await?;
        let (rows, total, page) = state.store.search_preview(&transaction, &request).await?;
        let results = rows
            .into_iter()
            .map(|r| preview_view(&transaction, r))
            .collect();
        Ok::<_, ApiError>(SearchTmpTargetUserServiceResult {
            status: "SUCCESS".into(),
            message: None,
            items: Some(PagedResults::new(
                results,
                total,
                page.page_number,
                page.page_size,
            )),
            new_user_count: transaction.new_count,
            existing_user_count: transaction.existing_count,
            invalid_user_count: transaction.invalid_count,
        })
    }
    .await;
    match result {
        Ok(body) => Json(body).into_response(),
        // A refusal is the ordinary failure envelope: a superset of the unwrapped shape
        // (`status`, `message`), with the `validationMessages` a client shows at its fields.
        Err(e) => e.into_response(),
    }
}

#[utoipa::path(post, path = "/api/target-users/{transactionId}/search/export", tag = TAG,
    summary = "Exports the list of temp target users",
    params(("transactionId" = String, Path)),
    request_body = SearchRequest,
    responses((status = 200, description = "A CSV or XLSX file")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn preview_export(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(request): JsonBody<SearchRequest>,
) -> ApiResult<Response> {
    let format = export::Format::parse(request.export_type.as_deref())?;
    let transaction = upload::find(&state, &scope, &id).await?;
    let rows = state
        .store
        .export_preview(&transaction, &request)?
        .map(|r| {
            r.map(|r| {
                let reasons = validation(&r.validation)
                    .into_iter()
                    .map(|v| format!("{}: {}", v.field_name, v.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                let f = r.fields;
                vec![
                    r.row_number.to_string(),
                    r.status.name().to_owned(),
                    f.email.unwrap_or_default(),
                    f.first_name.unwrap_or_default(),
                    f.last_name.unwrap_or_default(),
                    f.department.unwrap_or_default(),
                    f.phone_number.unwrap_or_default(),
                    f.priority.unwrap_or_default(),
                    f.time_zone.unwrap_or_default(),
                    reasons,
                ]
            })
        });
    export::respond(
        format,
        "target-users-import-preview",
        &[
            "Row",
            "Status",
            "Email",
            "First Name",
            "Last Name",
            "Department",
            "Phone Number",
            "Priority",
            "Time Zone",
            "Errors",
        ],
        rows,
    )
    .await
}

/// Gives the uploaded file a new transaction id, forgetting its mapping, so it can be mapped
/// again without another upload (the old id stops working).
#[utoipa::path(put, path = "/api/target-users/{transactionId}/update", tag = TAG,
    summary = "Update Transaction Id and return it",
    params(("transactionId" = String, Path)),
    responses((status = 200, body = ServiceResult<TransactionIdDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn reissue(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<TransactionIdDto>>> {
    let transaction = upload::find(&state, &scope, &id).await?;
    let ttl = i64::try_from(state.config.import_transaction_seconds.saturating_mul(1000))
        .unwrap_or(i64::MAX);
    let new = state.store.reissue_transaction(&transaction, ttl).await?;
    Ok(ok(TransactionIdDto {
        transaction_id: new.to_string(),
        old_transaction_id: transaction.resource_id,
    }))
}

#[utoipa::path(post, path = "/api/target-users/{transactionId}/import", tag = TAG,
    summary = "Imports a list of tmp target users",
    params(("transactionId" = String, Path)),
    request_body = ImportRequest,
    responses((status = 200, body = ServiceResult<ImportStarted>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn import(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    JsonBody(body): JsonBody<ImportRequest>,
) -> ApiResult<Json<ServiceResult<ImportStarted>>> {
    let transaction = upload::find(&state, &scope, &id).await?;
    Ok(ok(import::apply::start(
        &state,
        &scope,
        &transaction,
        &body,
    )
    .await?))
}

/// A row's `validation` column.
fn validation(json: &str) -> Vec<ValidationError> {
    serde_json::from_str(json).unwrap_or_default()
}

fn preview_view(transaction: &TransactionRow, r: PreviewRow) -> TmpTargetUserSearchView {
    let f = r.fields;
    TmpTargetUserSearchView {
        resource_id: r.resource_id,
        validation_detail: validation(&r.validation),
        custom_fields: serde_json::from_str::<Vec<TmpTargetUserCustomField>>(&f.custom_fields)
            .unwrap_or_default(),
        email: f.email,
        first_name: f.first_name,
        last_name: f.last_name,
        department: f.department,
        priority: f.priority,
        transaction_id: transaction.resource_id.clone(),
        create_time: millis_to_rfc3339(r.create_time),
        update_time: Some(millis_to_rfc3339(r.update_time)),
        status: r.status.name().to_owned(),
        phone_number: f.phone_number,
        time_zone: f.time_zone,
        preferred_language: f.preferred_language,
        row_number: r.row_number,
    }
}
