//! The import template (`POST /api/target-users/example-file`): a file with the column headers
//! the import understands, in the order of Keepnet's template (First Name, Last Name and Email
//! first), then the company's custom fields. The Excel file lists the valid time zones on its
//! second sheet and the priorities on its third, as values to pick from; the import reads only
//! the first sheet unless told otherwise.

use axum::body::Body;
use axum::response::Response;

use super::UserField;
use crate::api::export::{self, Format, safe_cell};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Priorities by name, as the import accepts them.
pub const PRIORITIES: [&str; 5] = ["VeryLow", "Low", "Medium", "High", "VeryHigh"];

/// The template in `format`, with `custom_fields` (the company's custom field names) after the
/// standard columns.
pub async fn respond(
    state: &AppState,
    format: Format,
    custom_fields: Vec<String>,
) -> ApiResult<Response> {
    let mut headers: Vec<String> = UserField::ALL
        .iter()
        .map(|f| f.header().to_owned())
        .collect();
    headers.extend(custom_fields.iter().map(|n| safe_cell(n)));
    match format {
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(Vec::from(*b"\xEF\xBB\xBF"));
            writer.write_record(&headers).map_err(ApiError::internal)?;
            let bytes = writer.into_inner().map_err(ApiError::internal)?;
            Ok(export::download(
                Body::from(bytes),
                "text/csv; charset=utf-8",
                "target-users-template.csv",
            ))
        }
        Format::Xlsx => {
            let zones = state.store.time_zones().await?;
            let bytes = tokio::task::spawn_blocking(move || xlsx(&headers, &zones))
                .await
                .map_err(ApiError::internal)?
                .map_err(ApiError::internal)?;
            Ok(export::download(
                Body::from(bytes),
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "target-users-template.xlsx",
            ))
        }
    }
}

fn xlsx(
    headers: &[String],
    zones: &[latchkey_store::lookups::TimeZone],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let users = book.add_worksheet().set_name("Target Users")?;
    for (col, h) in headers.iter().enumerate() {
        users.write_string_with_format(0, col as u16, h, &bold)?;
        users.set_column_width(col as u16, 18)?;
    }
    let sheet = book.add_worksheet().set_name("Time Zones")?;
    sheet.write_string_with_format(0, 0, "Time Zone", &bold)?;
    sheet.write_string_with_format(0, 1, "Name", &bold)?;
    for (i, zone) in zones.iter().enumerate() {
        sheet.write_string(i as u32 + 1, 0, &zone.id)?;
        sheet.write_string(i as u32 + 1, 1, safe_cell(&zone.display_name))?;
    }
    let sheet = book.add_worksheet().set_name("Priorities")?;
    sheet.write_string_with_format(0, 0, "Priority", &bold)?;
    for (i, p) in PRIORITIES.iter().enumerate() {
        sheet.write_string(i as u32 + 1, 0, *p)?;
    }
    book.save_to_buffer()
}
