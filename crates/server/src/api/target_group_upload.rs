//! The upload operations of `/api/target-groups`: a user list file kept as a transaction, and
//! its summary by sheet. They share the reading and the transactions of the target-user import
//! ([`crate::import::upload`]): a transaction from either upload is the same file.

use axum::Json;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, Query, State};
use latchkey_proto::ServiceResult;
use latchkey_proto::target_user_import::{TransactionDto, UploadForm, UploadedFileDto};
use serde::Deserialize;

use crate::auth::scope::Scoped;
use crate::error::{ApiError, ApiResult, ok};
use crate::import::upload;
use crate::state::AppState;

const TAG: &str = "TargetGroup";

#[utoipa::path(post, path = "/api/target-groups/upload", tag = TAG,
    summary = "Upload user list file",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 200, body = ServiceResult<TransactionDto>),
        (status = 413, description = "The file is larger than `import_max_file_mib`")),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<Json<ServiceResult<TransactionDto>>> {
    let (id, _) = upload::receive(&state, &scope, multipart).await?;
    Ok(ok(TransactionDto {
        transaction_id: id.to_string(),
    }))
}

#[utoipa::path(get, path = "/api/target-groups/upload/{transactionId}", tag = TAG,
    summary = "Get uploaded user list file",
    params(("transactionId" = String, Path)),
    responses((status = 200, body = ServiceResult<UploadedFileDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn uploaded_file(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
) -> ApiResult<Json<ServiceResult<UploadedFileDto>>> {
    let transaction = upload::find(&state, &scope, &id).await?;
    Ok(ok(upload::summary(&state, &transaction, None).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// A sheet of the file (case ignored); the first when absent.
    #[serde(alias = "SheetName", alias = "sheetname")]
    #[serde(rename = "sheetName")]
    sheet_name: Option<String>,
}

#[utoipa::path(get, path = "/api/target-groups/upload/{transactionId}/search", tag = TAG,
    summary = "Get uploaded user list file by sheet name",
    params(("transactionId" = String, Path), SheetQuery),
    responses((status = 200, body = ServiceResult<UploadedFileDto>)),
    security(("oauth2" = ["api1"]), ("bearerAuth" = [])))]
pub async fn uploaded_sheet(
    State(state): State<AppState>,
    Scoped { scope, .. }: Scoped,
    Path(id): Path<String>,
    query: Result<Query<SheetQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ServiceResult<UploadedFileDto>>> {
    let Query(query) = query.map_err(|e| ApiError::input(vec![format!("sheetName: {e}")]))?;
    let transaction = upload::find(&state, &scope, &id).await?;
    Ok(ok(upload::summary(
        &state,
        &transaction,
        query.sheet_name.as_deref(),
    )
    .await?))
}
