//! Receiving a spreadsheet: the multipart field `File` is streamed to a temporary file (at most
//! `import_max_file_mib`, else 413), read on a blocking thread by [`crate::spreadsheet`], and
//! its rows written to the database as they are read, in one transaction: a file that fails
//! half-way leaves nothing behind. Memory holds a few thousand rows at a time, whatever the
//! file's size.
//!
//! Also here: the uploaded file's summary (`fileType`, `sheetNames`, `fileFieldNames` and the
//! first rows as `data`) and finding a transaction (404 once it has expired).

use axum::extract::Multipart;
use axum::extract::multipart::MultipartRejection;
use latchkey_domain::authz::CompanyScope;
use latchkey_domain::ids::ResourceId;
use latchkey_proto::ResultStatus;
use latchkey_proto::target_user_import::UploadedFileDto;
use latchkey_store::imports::{TransactionRow, UploadSummary};
use tokio::io::AsyncWriteExt;

use crate::error::{ApiError, ApiResult};
use crate::spreadsheet::{self, Row};
use crate::state::AppState;

/// Rows of a sheet shown in a summary's `data`.
const SAMPLE_ROWS: i64 = 10;

/// Rows in flight between the reader thread and the database writer.
const ROWS_IN_FLIGHT: usize = 2048;

/// Reads the upload of `multipart` into a new transaction of `scope`'s company.
pub async fn receive(
    state: &AppState,
    scope: &CompanyScope,
    multipart: Result<Multipart, MultipartRejection>,
) -> ApiResult<(ResourceId, UploadSummary)> {
    let mut multipart = multipart.map_err(|e| {
        ApiError::input(vec![format!(
            "File: send the file as multipart/form-data in the field File ({e})"
        )])
    })?;
    let limit = state.config.import_max_file_mib.saturating_mul(1024 * 1024);
    let mut saved: Option<(tempfile::NamedTempFile, Option<String>)> = None;
    while let Some(mut field) = multipart.next_field().await.map_err(unreadable_body)? {
        let name = field.name().unwrap_or("").trim().to_owned();
        if !name.eq_ignore_ascii_case("file") {
            return Err(ApiError::input(vec![format!(
                "{name}: the upload's only field is File"
            )]));
        }
        if saved.is_some() {
            return Err(ApiError::input(vec!["File: send one file".into()]));
        }
        let file_name = field.file_name().map(str::to_owned);
        let temp = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
        let mut out = tokio::fs::File::from_std(temp.reopen().map_err(ApiError::internal)?);
        let mut size: u64 = 0;
        while let Some(chunk) = field.chunk().await.map_err(unreadable_body)? {
            size += chunk.len() as u64;
            if size > limit {
                return Err(too_large(state));
            }
            out.write_all(&chunk).await.map_err(ApiError::internal)?;
        }
        out.flush().await.map_err(ApiError::internal)?;
        saved = Some((temp, file_name));
    }
    let Some((file, file_name)) = saved else {
        return Err(ApiError::input(vec![
            "File: choose a file to upload (the multipart field File)".into(),
        ]));
    };
    store(state, scope, file, file_name).await
}

fn too_large(state: &AppState) -> ApiError {
    let mut error = ApiError::new(
        ResultStatus::PayloadTooLarge,
        ResultStatus::PayloadTooLarge.default_message(),
    );
    error.validation_messages = Some(vec![format!(
        "File: the file is larger than the {} MiB an upload may have",
        state.config.import_max_file_mib
    )]);
    error
}

fn unreadable_body(e: axum::extract::multipart::MultipartError) -> ApiError {
    ApiError::input(vec![format!("File: the upload could not be read: {e}")])
}

/// Parses the saved file on a blocking thread while its rows are written to a new transaction.
async fn store(
    state: &AppState,
    scope: &CompanyScope,
    file: tempfile::NamedTempFile,
    file_name: Option<String>,
) -> ApiResult<(ResourceId, UploadSummary)> {
    let ttl = i64::try_from(state.config.import_transaction_seconds.saturating_mul(1000))
        .unwrap_or(i64::MAX);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Row>(ROWS_IN_FLIGHT);
    let reader = tokio::task::spawn_blocking(move || {
        let parsed = spreadsheet::parse(file.path(), file_name.as_deref(), &mut |row| {
            tx.blocking_send(row).is_ok()
        });
        drop(file);
        parsed
    });
    let mut writer = state.store.begin_upload(scope, ttl).await?;
    while let Some(row) = rx.recv().await {
        writer
            .push(row.sheet as i64, row.number, &row.cells)
            .await?;
    }
    let parsed = reader
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::input(vec![format!("File: {}", e.0)]))?;
    let first = &parsed.sheets[0];
    let summary = UploadSummary {
        row_count: first.row_count,
        column_count: first.headers.len() as i64,
        duplicate_count: parsed.duplicate_count,
        file_type: parsed.file_type.name().to_owned(),
        sheets: parsed.sheets,
    };
    let id = writer.finish(&summary).await?;
    Ok((id, summary))
}

/// The company's transaction `id`, or 404 telling the caller to upload the file again.
pub async fn find(state: &AppState, scope: &CompanyScope, id: &str) -> ApiResult<TransactionRow> {
    let not_found = || {
        ApiError::not_found(format!(
            "Transaction {id} was not found or has expired: upload the file again"
        ))
    };
    let rid = ResourceId::parse(id).ok_or_else(not_found)?;
    state
        .store
        .import_transaction(scope, &rid)
        .await?
        .ok_or_else(not_found)
}

/// The summary of one sheet (by name, ignoring case; the first when none is named).
pub async fn summary(
    state: &AppState,
    transaction: &TransactionRow,
    sheet_name: Option<&str>,
) -> ApiResult<UploadedFileDto> {
    let index = sheet_index(transaction, sheet_name)?;
    let sheet = transaction
        .sheets
        .get(index)
        .ok_or_else(|| ApiError::internal("a transaction without sheets"))?;
    let rows = state
        .store
        .sample_rows(transaction, index as i64, SAMPLE_ROWS)
        .await?;
    let data = rows
        .into_iter()
        .map(|cells| {
            sheet
                .headers
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let cell = cells.get(i).cloned().unwrap_or_default();
                    (h.clone(), serde_json::Value::String(cell))
                })
                .collect()
        })
        .collect();
    Ok(UploadedFileDto {
        file_type: transaction.file_type.clone(),
        sheet_names: transaction.sheets.iter().map(|s| s.name.clone()).collect(),
        data,
        file_field_names: sheet.headers.clone(),
    })
}

/// The sheet named `name` (ignoring case), or the first when none is named.
pub fn sheet_index(transaction: &TransactionRow, name: Option<&str>) -> ApiResult<usize> {
    match name.map(str::trim).filter(|n| !n.is_empty()) {
        None => Ok(0),
        Some(name) => transaction
            .sheets
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                ApiError::input(vec![format!(
                    "sheetName '{name}' is not a sheet of the file; its sheets are: {}",
                    sheet_list(transaction)
                )])
            }),
    }
}

/// The sheets' names, for messages.
fn sheet_list(transaction: &TransactionRow) -> String {
    transaction
        .sheets
        .iter()
        .map(|s| format!("'{}'", s.name))
        .collect::<Vec<_>>()
        .join(", ")
}
