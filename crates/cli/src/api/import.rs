//! `latchkey api target-users import FILE`: the platform's import flow, driven to its end.
//!
//! 1. Upload the file (`POST /api/target-users/upload`) and read its columns.
//! 2. Map them: a column named like a column of the company's import template (its standard
//!    fields and custom fields; names compared ignoring case, spaces and punctuation) goes to
//!    that field, `--map COLUMN=FIELD` sets others, and the rest are left out and listed.
//! 3. Run the mapping job (`create-mapping`, then `mapping-job/{id}`): every row is checked
//!    and counted as new, existing or invalid; invalid rows are shown with their reasons.
//! 4. Unless `--dry-run`, run the import job (`{transactionId}/import`, then `/api/jobs/{id}`)
//!    and print what it did.
//!
//! Both jobs feed a progress bar on a terminal, and one line per change of progress
//! otherwise (logs, CI).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use latchkey_client::{Client, ExportFormat};
use latchkey_proto::search::{Filter, FilterGroup, FilterItem, SearchRequest};
use latchkey_proto::target_user_import::{CreateMappingRequest, FieldMapping, ImportRequest};
use serde_json::json;

use super::print_json;

/// How often a job is asked for its progress.
const POLL: Duration = Duration::from_millis(250);

/// Invalid rows shown before the import.
const SHOWN_ERRORS: i64 = 20;

#[derive(Args)]
pub struct ImportArgs {
    /// A CSV (UTF-8 or Latin-1), XLSX or XLS file with a header row.
    file: PathBuf,
    /// The company to import into (X-KEEPNET-Company-Id). [default: your own]
    #[arg(long)]
    company: Option<String>,
    /// Map a column to a field as COLUMN=FIELD (e.g. "E-mail=email"); repeat for more.
    #[arg(long = "map")]
    map: Vec<String>,
    /// A target group (id) every imported user joins; repeat for several.
    #[arg(long = "group")]
    groups: Vec<String>,
    /// Which rows to write.
    #[arg(long, value_enum, default_value = "all")]
    mode: Mode,
    /// Check the file and report what the import would do, without importing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum Mode {
    /// New users, and updates of existing ones.
    All,
    /// New users only.
    OnlyNew,
    /// Updates of existing users only.
    OnlyUpdateExisting,
}

impl Mode {
    fn import_type(self) -> &'static str {
        match self {
            Mode::All => "All",
            Mode::OnlyNew => "OnlyNew",
            Mode::OnlyUpdateExisting => "OnlyUpdateExisting",
        }
    }
}

pub async fn run(client: &Client, args: ImportArgs) -> anyhow::Result<()> {
    let company = args.company.as_deref();
    let bytes =
        std::fs::read(&args.file).with_context(|| format!("reading {}", args.file.display()))?;
    let file_name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "import.csv".into());
    let upload = client
        .upload_target_users(company, &file_name, bytes)
        .await?;
    let transaction = upload.transaction_id.clone();
    let columns = client
        .uploaded_file(company, &transaction)
        .await?
        .file_field_names;
    let template = template_columns(client, company).await?;
    let (mappings, ignored) = mapping(&columns, &template, &args.map)?;
    if !ignored.is_empty() {
        eprintln!(
            "Columns left out (no field of that name; map them with --map COLUMN=FIELD): {}",
            ignored.join(", ")
        );
    }

    let job = client
        .create_mapping(
            company,
            &CreateMappingRequest {
                transaction_id: Some(transaction.clone()),
                field_mappings: Some(mappings),
                target_group_resource_ids: Some(args.groups.clone()),
                sheet_name: None,
            },
        )
        .await?
        .resource_id;
    let mut progress = Progress::new("checking rows");
    let mapped = loop {
        let status = client.mapping_job(company, &job).await?;
        let done = status.new_user_count + status.existing_user_count + status.invalid_user_count;
        progress.show(done, status.total_row_count, &status.status);
        if matches!(status.status.as_str(), "Finished" | "FinishedWithError") {
            break status;
        }
        tokio::time::sleep(POLL).await;
    };
    progress.finish();
    if mapped.status != "Finished" {
        bail!(
            "the file could not be checked: {}",
            mapped
                .error_message
                .as_deref()
                .unwrap_or("the mapping job failed")
        );
    }
    if mapped.invalid_user_count > 0 {
        show_invalid_rows(client, company, &transaction, mapped.invalid_user_count).await?;
    }
    let mut summary = json!({
        "transactionId": transaction,
        "rowCount": upload.row_count,
        "newUserCount": mapped.new_user_count,
        "existingUserCount": mapped.existing_user_count,
        "invalidUserCount": mapped.invalid_user_count,
        "ignoredColumns": ignored,
    });
    if args.dry_run {
        return print_json(&summary);
    }

    let started = client
        .import_target_users(
            company,
            &transaction,
            &ImportRequest {
                import_type: Some(args.mode.import_type().to_owned()),
                selected_resource_ids: None,
            },
        )
        .await?;
    let mut progress = Progress::new("importing");
    let job = loop {
        let job = client.job(company, &started.resource_id).await?;
        let step = job
            .process_results
            .iter()
            .find(|s| !s.is_finished)
            .map(|s| format!("{} {}/{}", s.name, s.current_count, s.target_count))
            .unwrap_or_default();
        progress.show(job.job.progress.round() as i64, 100, &step);
        if job.job.is_finished {
            break job;
        }
        tokio::time::sleep(POLL).await;
    };
    progress.finish();
    let errors: Vec<_> = job
        .process_results
        .iter()
        .flat_map(|s| &s.process_errors)
        .collect();
    let succeeded = job.job.status == 2;
    summary["job"] = json!({
        "resourceId": started.resource_id,
        "status": if succeeded { "Finished" } else { "FinishedWithError" },
        "errorMessage": job.job.error_message,
        "errors": errors,
    });
    print_json(&summary)?;
    if !succeeded {
        bail!(
            "the import ended with an error: {}",
            job.job
                .error_message
                .as_deref()
                .unwrap_or("see the job's errors")
        );
    }
    Ok(())
}

/// The columns the company's import template has: the fields the import takes, by the names
/// the server gives them (custom fields included).
async fn template_columns(client: &Client, company: Option<&str>) -> anyhow::Result<Vec<String>> {
    let file = client.import_template(company, ExportFormat::Csv).await?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(file.bytes.as_slice());
    let header = reader
        .records()
        .next()
        .transpose()
        .context("reading the import template")?
        .ok_or_else(|| anyhow!("the import template has no header row"))?;
    Ok(header
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
        .collect())
}

/// Names compared as the server compares field names: letters and digits, ignoring case.
fn fold(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

/// The file's columns mapped to fields; and the columns left out.
fn mapping(
    columns: &[String],
    template: &[String],
    explicit: &[String],
) -> anyhow::Result<(Vec<FieldMapping>, Vec<String>)> {
    let mut chosen = Vec::new();
    for pair in explicit {
        let (column, field) = pair
            .split_once('=')
            .ok_or_else(|| anyhow!("--map {pair:?} must be COLUMN=FIELD"))?;
        let column = columns
            .iter()
            .find(|c| c.trim().eq_ignore_ascii_case(column.trim()))
            .ok_or_else(|| {
                anyhow!(
                    "--map {pair:?}: the file has no column {:?}; its columns are: {}",
                    column.trim(),
                    columns.join(", ")
                )
            })?;
        chosen.push((column.clone(), field.trim().to_owned()));
    }
    let mut ignored = Vec::new();
    for column in columns {
        if chosen.iter().any(|(c, _)| c == column) {
            continue;
        }
        match template.iter().find(|t| fold(t) == fold(column)) {
            Some(field) => chosen.push((column.clone(), field.clone())),
            None => ignored.push(column.clone()),
        }
    }
    let mappings = chosen
        .into_iter()
        .map(|(column, field)| FieldMapping {
            excel_column_name: Some(column),
            field_name: Some(field),
        })
        .collect();
    Ok((mappings, ignored))
}

/// Prints the first invalid rows of the preview with their reasons.
async fn show_invalid_rows(
    client: &Client,
    company: Option<&str>,
    transaction: &str,
    count: i64,
) -> anyhow::Result<()> {
    let errors_only = Filter {
        filter_groups: Some(vec![FilterGroup {
            filter_items: Some(vec![FilterItem {
                field_name: Some("Status".into()),
                operator: Some("Include".into()),
                value: Some("Error".into()),
            }]),
            ..FilterGroup::default()
        }]),
        ..Filter::default()
    };
    let preview = client
        .import_preview(
            company,
            transaction,
            &SearchRequest {
                page_size: Some(SHOWN_ERRORS),
                order_by: Some("RowNumber".into()),
                ascending: Some(true),
                filter: Some(errors_only),
                ..SearchRequest::default()
            },
        )
        .await?;
    let rows = if count == 1 { "row" } else { "rows" };
    eprintln!("{count} {rows} cannot be imported:");
    for row in preview.items.map(|p| p.results).unwrap_or_default() {
        let reasons: Vec<String> = row
            .validation_detail
            .iter()
            .map(|v| format!("{}: {}", v.field_name, v.message))
            .collect();
        eprintln!(
            "  row {} ({}): {}",
            row.row_number,
            row.email.as_deref().unwrap_or("no email"),
            reasons.join("; ")
        );
    }
    if count > SHOWN_ERRORS {
        eprintln!("  … and {} more", count - SHOWN_ERRORS);
    }
    Ok(())
}

/// A job's progress: a bar on a terminal, else a line each time it moves.
struct Progress {
    label: &'static str,
    bar: Option<ProgressBar>,
    last: Option<(i64, String)>,
}

impl Progress {
    fn new(label: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} {msg}")
            {
                bar.set_style(style.progress_chars("=> "));
            }
            bar.set_prefix(label);
            bar
        });
        Self {
            label,
            bar,
            last: None,
        }
    }

    fn show(&mut self, position: i64, length: i64, message: &str) {
        let (position, length) = (position.max(0) as u64, length.max(0) as u64);
        match &self.bar {
            Some(bar) => {
                bar.set_length(length);
                bar.set_position(position);
                bar.set_message(message.to_owned());
            }
            None => {
                let now = (position as i64, message.to_owned());
                if self.last.as_ref() != Some(&now) {
                    let line = format!("{}: {position}/{length} {message}", self.label);
                    eprintln!("{}", line.trim_end());
                    self.last = Some(now);
                }
            }
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn columns_map_by_the_template_names_and_explicitly() {
        let columns = names(&["E-mail", "first_name", "LAST NAME", "Notes", "Badge"]);
        let template = names(&["Email", "First Name", "Last Name", "Badge Number"]);
        let (mapped, ignored) =
            mapping(&columns, &template, &names(&["e-mail=email"])).expect("mapping");
        let pairs: Vec<(String, String)> = mapped
            .into_iter()
            .map(|m| {
                (
                    m.excel_column_name.unwrap_or_default(),
                    m.field_name.unwrap_or_default(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("E-mail".to_owned(), "email".to_owned()),
                ("first_name".to_owned(), "First Name".to_owned()),
                ("LAST NAME".to_owned(), "Last Name".to_owned()),
            ]
        );
        assert_eq!(ignored, ["Notes", "Badge"]);
        let e = mapping(&columns, &template, &names(&["Mail=email"])).expect_err("no column");
        assert!(e.to_string().contains("E-mail"), "{e}");
    }
}
