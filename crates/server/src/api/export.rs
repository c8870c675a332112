//! Exports: CSV streamed row by row, XLSX written with constant memory.
//!
//! Rows arrive as a stream from the store; neither format holds the result set in memory. CSV
//! goes straight to the response body. XLSX is written by `rust_xlsxwriter` in constant-memory
//! mode (each row is flushed to a temporary file) on a blocking thread, then the finished file
//! is streamed. Cells that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) are
//! prefixed with `'`, so exported names cannot inject formulas.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use latchkey_store::StoreError;

use crate::error::{ApiError, ApiResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    /// `exportType`, any case: `Csv`, `CSV`, `Excel`, `Xlsx`, `XLS`; CSV when absent.
    pub fn parse(raw: Option<&str>) -> ApiResult<Self> {
        match raw.map(|s| s.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("csv") => Ok(Format::Csv),
            Some("excel") | Some("xlsx") | Some("xls") => Ok(Format::Xlsx),
            Some(other) => Err(ApiError::input(vec![format!(
                "exportType '{other}' must be Csv or Excel"
            )])),
        }
    }
}

pub(crate) fn safe_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    }
}

/// Sends `rows` (each a list of cells under `headers`) as a download named `name`.
pub async fn respond<S>(
    format: Format,
    name: &str,
    headers: &[impl AsRef<str>],
    rows: S,
) -> ApiResult<Response>
where
    S: Stream<Item = Result<Vec<String>, StoreError>> + Send + 'static,
{
    let headers: Vec<String> = headers.iter().map(|h| h.as_ref().to_owned()).collect();
    match format {
        Format::Csv => Ok(csv(name, &headers, rows)),
        Format::Xlsx => xlsx(name, headers, rows).await,
    }
}

fn csv_line(cells: &[String]) -> Bytes {
    let mut writer = csv::Writer::from_writer(Vec::new());
    let cells: Vec<String> = cells.iter().map(|c| safe_cell(c)).collect();
    // Writing to a Vec cannot fail.
    let _ = writer.write_record(&cells);
    Bytes::from(writer.into_inner().unwrap_or_default())
}

fn csv<S>(name: &str, headers: &[String], rows: S) -> Response
where
    S: Stream<Item = Result<Vec<String>, StoreError>> + Send + 'static,
{
    let head = csv_line(headers);
    let body = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(head) }).chain(
        rows.map(|row| {
            row.map(|cells| csv_line(&cells)).map_err(|e| {
                tracing::error!(error = %e, "export failed mid-stream");
                std::io::Error::other("export failed")
            })
        }),
    );
    download(
        Body::from_stream(body),
        "text/csv; charset=utf-8",
        &format!("{name}.csv"),
    )
}

async fn xlsx<S>(name: &str, headers: Vec<String>, rows: S) -> ApiResult<Response>
where
    S: Stream<Item = Result<Vec<String>, StoreError>> + Send + 'static,
{
    let file = tempfile::NamedTempFile::new().map_err(ApiError::internal)?;
    let path = file.path().to_path_buf();
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<String>>(256);
    let writer = tokio::task::spawn_blocking(move || -> Result<(), rust_xlsxwriter::XlsxError> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet_with_constant_memory()?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (col, h) in headers.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, h, &bold)?;
        }
        let mut row_index: u32 = 1;
        while let Some(cells) = rx.blocking_recv() {
            for (col, cell) in cells.iter().enumerate() {
                sheet.write_string(row_index, col as u16, safe_cell(cell))?;
            }
            row_index += 1;
        }
        workbook.save(&path)
    });
    let mut rows = std::pin::pin!(rows);
    while let Some(row) = rows.next().await {
        let row = row?;
        if tx.send(row).await.is_err() {
            break;
        }
    }
    drop(tx);
    writer
        .await
        .map_err(ApiError::internal)?
        .map_err(ApiError::internal)?;
    let handle = tokio::fs::File::open(file.path())
        .await
        .map_err(ApiError::internal)?;
    // The open handle keeps the data readable after the temporary file's name is removed.
    drop(file);
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(handle));
    Ok(download(
        body,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        &format!("{name}.xlsx"),
    ))
}

pub(crate) fn download(body: Body, content_type: &'static str, filename: &str) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
