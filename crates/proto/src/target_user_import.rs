//! Spreadsheet import DTOs (`/api/target-users/upload`, `create-mapping`, the preview and the
//! import, and `/api/target-groups/upload`).

use serde::{Deserialize, Serialize};

use crate::search::PagedResults;

/// `UploadFileDto`: what `POST /api/target-users/upload` found in the file.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadFileDto {
    pub transaction_id: String,
    /// Data rows of the first sheet (the header not counted).
    pub row_count: i64,
    /// Columns of the first sheet.
    pub column_count: i64,
    /// Rows of the first sheet whose email, ignoring case, an earlier row already had.
    pub duplicate_count: i64,
}

/// The multipart form of the uploads, for the OpenAPI document (the server streams the field
/// `File`; the name matches ignoring case).
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "PascalCase")]
pub struct UploadForm {
    /// A CSV (UTF-8 or Latin-1; comma, semicolon or tab), XLSX or XLS file.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// `TransactionDto`: `POST /api/target-groups/upload`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionDto {
    pub transaction_id: String,
}

/// `TargetUserUploadedFileDto` / `TargetGroupUploadedFileDto`: a sheet of the uploaded file.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadedFileDto {
    /// `Csv`, `Xlsx` or `Xls`.
    pub file_type: String,
    /// Every sheet, in the file's order (a CSV has one, named after the file).
    pub sheet_names: Vec<String>,
    /// The first rows of the sheet (up to 10), each an object of column name to cell text.
    #[schema(value_type = Vec<Object>)]
    pub data: Vec<serde_json::Map<String, serde_json::Value>>,
    /// The sheet's column names (its header row).
    pub file_field_names: Vec<String>,
}

/// `TransactionIdDto`: `PUT /api/target-users/{transactionId}/update`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TransactionIdDto {
    pub transaction_id: String,
    pub old_transaction_id: String,
}

/// `POST /api/target-users/example-file`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ExampleFileRequest {
    /// `Excel` or `Csv` (any case; also `Xlsx`, `XLS`, `CSV`).
    pub export_type: Option<String>,
}

/// `POST /api/target-users/create-mapping`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct CreateMappingRequest {
    pub transaction_id: Option<String>,
    pub field_mappings: Option<Vec<FieldMapping>>,
    /// Groups every imported user joins.
    pub target_group_resource_ids: Option<Vec<String>>,
    /// The sheet to read (an extension); the first sheet when absent.
    pub sheet_name: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct FieldMapping {
    /// A column name of the file, as `fileFieldNames` lists it (case ignored).
    pub excel_column_name: Option<String>,
    /// A target-user field (`email`, `firstName`, `FirstName`, …) or a custom field's name.
    pub field_name: Option<String>,
}

/// The answer of `create-mapping`: the mapping job.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MappingJobStarted {
    /// The job, for `GET /api/target-users/mapping-job/{resourceId}` and `/api/jobs`.
    pub resource_id: String,
    pub transaction_id: String,
}

/// `GET /api/target-users/mapping-job/{resourceId}`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MappingJobDto {
    pub resource_id: String,
    pub transaction_id: String,
    /// `Idle`, `Running`, `Finished` or `FinishedWithError`.
    pub status: String,
    pub new_user_count: i64,
    pub existing_user_count: i64,
    pub invalid_user_count: i64,
    pub total_row_count: i64,
    pub error_message: Option<String>,
}

/// `ValidationError`: why a preview row cannot be imported.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct ValidationError {
    pub field_name: String,
    pub message: String,
}

/// `TmpTargetUserCustomField`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TmpTargetUserCustomField {
    pub resource_id: String,
    pub name: String,
    pub data_type: String,
    pub value: Option<String>,
}

/// `TmpTargetUserSearchView`: a preview row.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TmpTargetUserSearchView {
    pub resource_id: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub department: Option<String>,
    pub priority: Option<String>,
    pub transaction_id: String,
    pub validation_detail: Vec<ValidationError>,
    pub custom_fields: Vec<TmpTargetUserCustomField>,
    pub create_time: String,
    pub update_time: Option<String>,
    /// `New`, `Exists` or `Error`.
    pub status: String,
    pub phone_number: Option<String>,
    pub time_zone: Option<String>,
    pub preferred_language: Option<String>,
    /// The row's number in the file (an extension).
    pub row_number: i64,
}

/// `SearchTmpTargetUserServiceResult`: the preview, not wrapped in the envelope.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchTmpTargetUserServiceResult {
    /// `SUCCESS`, or the failure's status string (then `items` is null).
    pub status: String,
    pub message: Option<String>,
    pub items: Option<PagedResults<TmpTargetUserSearchView>>,
    pub new_user_count: i64,
    pub existing_user_count: i64,
    pub invalid_user_count: i64,
}

/// `POST /api/target-users/{transactionId}/import` (`TmpTargetUserImportRequest`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", default)]
pub struct ImportRequest {
    /// `All`, `Selected`, `OnlyNew` or `OnlyUpdateExisting` (also `ImportAll`,
    /// `ImportSelected`), any case.
    pub import_type: Option<String>,
    /// Preview rows (their `resourceId`) for `Selected`.
    pub selected_resource_ids: Option<Vec<String>>,
}

/// The answer of an import: the job.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportStarted {
    /// The job, for `GET /api/jobs/{resourceId}`.
    pub resource_id: String,
    pub transaction_id: String,
    /// Rows it will write: new users and existing ones it updates.
    pub new_user_count: i64,
    pub existing_user_count: i64,
}
