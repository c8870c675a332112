//! Reading an uploaded spreadsheet: CSV, XLSX or XLS, recognized from its bytes, never its
//! name.
//!
//! - XLSX (a zip: `PK\3\4`) is read with `calamine`'s streaming cell reader, sheet by sheet;
//!   XLS (an OLE compound file: `D0 CF 11 E0`) with `calamine`'s range reader, which the format
//!   bounds (65,536 rows a sheet).
//! - Anything else must be text: CSV. Its encoding is decided from the bytes: a byte-order mark
//!   (UTF-8, UTF-16LE or UTF-16BE), else UTF-8 when every byte sequence of the file is valid
//!   UTF-8, else Windows-1252 (the superset of Latin-1 that spreadsheet programs write as
//!   "Latin-1"). The delimiter (comma, semicolon, tab or pipe) is the one under which the
//!   first lines parse into the same number of columns, more than one, most consistently.
//!   Text with control characters (a PDF, an image) is not a spreadsheet.
//!
//! In every sheet the first non-empty row is the header; blank header cells are named after
//! their column letter (`Column C`), a repeated name gets its ordinal (`Email (2)`), and cells
//! beyond the header get their column's letter too. Blank rows are skipped. Cells are text,
//! trimmed: numbers as written (a whole number without `.0`, so phone numbers stored as numbers
//! survive), dates as `2026-11-23` (or with the time, `2026-11-23T09:30:00`), booleans as
//! `true`/`false`.
//!
//! Rows are sent one at a time to `rows` as they are read, so the file is never held as rows
//! in memory; [`parse`] returns what it counted. It runs on a blocking thread.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{Hash, Hasher};
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use calamine::{Data, Reader, SheetType, Xls, Xlsx};
use encoding_rs::{CoderResult, Decoder, Encoding, UTF_8, WINDOWS_1252};
use latchkey_store::imports::SheetInfo;

/// Columns a sheet may have: the widest address book export has a few dozen.
pub const MAX_COLUMNS: usize = 256;

/// What a file is, by its bytes; named as `fileType` answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Csv,
    Xlsx,
    Xls,
}

impl FileType {
    pub fn name(self) -> &'static str {
        match self {
            FileType::Csv => "Csv",
            FileType::Xlsx => "Xlsx",
            FileType::Xls => "Xls",
        }
    }
}

/// One data row: the sheet (0-based), the spreadsheet row number (the header is usually
/// row 1) and the cells, under the sheet's headers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub sheet: usize,
    pub number: i64,
    pub cells: Vec<String>,
}

/// What a parse counted.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub file_type: FileType,
    pub sheets: Vec<SheetInfo>,
    /// Data rows of the first sheet whose email (ignoring case) an earlier row already had.
    pub duplicate_count: i64,
}

/// Why a file cannot be read, in words for the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable(pub String);

fn unreadable(message: impl Into<String>) -> Unreadable {
    Unreadable(message.into())
}

/// Reads the file at `path` (`name` as uploaded, for a CSV's sheet name), sending every data
/// row to `rows`. Stops early, without error, when `rows` stops taking them.
pub fn parse(
    path: &Path,
    name: Option<&str>,
    rows: &mut dyn FnMut(Row) -> bool,
) -> Result<Parsed, Unreadable> {
    let mut file =
        File::open(path).map_err(|e| unreadable(format!("The file cannot be read: {e}")))?;
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut file, &mut magic)?;
    if n == 0 {
        return Err(unreadable("The file is empty"));
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| unreadable(format!("The file cannot be read: {e}")))?;
    let mut sheets = Sheets::new(rows);
    let file_type = if magic.starts_with(b"PK\x03\x04") {
        read_xlsx(BufReader::new(file), &mut sheets)?;
        FileType::Xlsx
    } else if magic == [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1] {
        read_xls(BufReader::new(file), &mut sheets)?;
        FileType::Xls
    } else {
        read_csv(path, name, &mut sheets)?;
        FileType::Csv
    };
    sheets.finish(file_type)
}

fn read_up_to(file: &mut File, buf: &mut [u8]) -> Result<usize, Unreadable> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(unreadable(format!("The file cannot be read: {e}"))),
        }
    }
    Ok(n)
}

/// Collects the sheets' headers and counts while rows flow out.
struct Sheets<'a> {
    out: &'a mut dyn FnMut(Row) -> bool,
    infos: Vec<SheetInfo>,
    /// The current sheet has its header.
    has_header: bool,
    /// Whether the receiver still takes rows.
    open: bool,
    /// The first sheet's email column, once known.
    email_column: Option<usize>,
    seen_emails: HashSet<u64>,
    duplicate_count: i64,
}

impl<'a> Sheets<'a> {
    fn new(out: &'a mut dyn FnMut(Row) -> bool) -> Self {
        Self {
            out,
            infos: Vec::new(),
            has_header: false,
            open: true,
            email_column: None,
            seen_emails: HashSet::new(),
            duplicate_count: 0,
        }
    }

    fn start_sheet(&mut self, name: String) {
        self.infos.push(SheetInfo {
            name,
            headers: Vec::new(),
            row_count: 0,
        });
        self.has_header = false;
    }

    /// A row of the current sheet as read: the header if it is the first non-empty one.
    fn row(&mut self, number: i64, mut cells: Vec<String>) -> Result<(), Unreadable> {
        while cells.last().is_some_and(String::is_empty) {
            cells.pop();
        }
        if cells.is_empty() || !self.open {
            return Ok(());
        }
        let sheet = self.infos.len() - 1;
        if cells.len() > MAX_COLUMNS {
            return Err(unreadable(format!(
                "Sheet '{}' row {number} has {} columns; a file may have at most {MAX_COLUMNS}",
                self.infos[sheet].name,
                cells.len()
            )));
        }
        if !self.has_header {
            self.has_header = true;
            self.infos[sheet].headers = cells;
            if sheet == 0 {
                self.email_column = self.infos[0]
                    .headers
                    .iter()
                    .position(|h| is_email_header(h));
            }
            return Ok(());
        }
        if sheet == 0 {
            self.count_duplicate(&cells);
        }
        self.infos[sheet].row_count += 1;
        self.open = (self.out)(Row {
            sheet,
            number,
            cells,
        });
        Ok(())
    }

    fn count_duplicate(&mut self, cells: &[String]) {
        // Without a header that says which column holds the email, the first column whose first
        // data cell looks like an address.
        if self.email_column.is_none() && self.infos[0].row_count == 0 {
            self.email_column = cells.iter().position(|c| c.contains('@'));
        }
        let Some(email) = self.email_column.and_then(|i| cells.get(i)) else {
            return;
        };
        if email.is_empty() {
            return;
        }
        // A 64-bit digest per address instead of the address: memory stays small for the
        // largest file, and a collision among a million addresses has odds of 1 in 10^7.
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        email.to_lowercase().hash(&mut hasher);
        if !self.seen_emails.insert(hasher.finish()) {
            self.duplicate_count += 1;
        }
    }

    fn finish(mut self, file_type: FileType) -> Result<Parsed, Unreadable> {
        let Some(first) = self.infos.first() else {
            return Err(unreadable("The file has no sheets"));
        };
        if first.headers.is_empty() {
            return Err(unreadable(format!(
                "The first sheet ('{}') is empty: its first row must name the columns, and the rows below hold the users",
                first.name
            )));
        }
        if first.row_count == 0 {
            return Err(unreadable(format!(
                "The first sheet ('{}') has a header row but no rows under it",
                first.name
            )));
        }
        for info in &mut self.infos {
            info.headers = name_columns(std::mem::take(&mut info.headers));
        }
        Ok(Parsed {
            file_type,
            sheets: self.infos,
            duplicate_count: self.duplicate_count,
        })
    }
}

/// The headers as the file's columns are called: blank ones after their letter, repeats
/// numbered.
fn name_columns(headers: Vec<String>) -> Vec<String> {
    let mut seen: HashSet<String> = HashSet::new();
    headers
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            let base = if h.is_empty() {
                format!("Column {}", column_letter(i))
            } else {
                h
            };
            let mut name = base.clone();
            let mut n = 2;
            while !seen.insert(name.to_lowercase()) {
                name = format!("{base} ({n})");
                n += 1;
            }
            name
        })
        .collect()
}

/// `A`, `B`, … `Z`, `AA`, … for a 0-based column.
pub fn column_letter(mut i: usize) -> String {
    let mut letters = Vec::new();
    loop {
        letters.push(b'A' + (i % 26) as u8);
        if i < 26 {
            break;
        }
        i = i / 26 - 1;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap_or_default()
}

/// A header that names the email column: `Email`, `E-mail Address`, `email_address`, …
pub fn is_email_header(header: &str) -> bool {
    let folded: String = header
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    matches!(
        folded.as_str(),
        "email" | "emailaddress" | "mail" | "mailaddress" | "useremail" | "workemail"
    )
}

// ---------------------------------------------------------------------------------------------
// Excel

fn read_xlsx<R: Read + Seek>(reader: R, sheets: &mut Sheets) -> Result<(), Unreadable> {
    let mut book: Xlsx<R> = Xlsx::new(reader).map_err(|e| {
        unreadable(format!(
            "The file is a zip archive but not an Excel workbook (.xlsx): {e}"
        ))
    })?;
    for name in worksheets(&book) {
        sheets.start_sheet(name.clone());
        let mut cells_reader = book
            .worksheet_cells_reader(&name)
            .map_err(|e| unreadable(format!("Sheet '{name}' cannot be read: {e}")))?;
        let mut current: Option<u32> = None;
        let mut cells: Vec<String> = Vec::new();
        loop {
            let cell = cells_reader
                .next_cell()
                .map_err(|e| unreadable(format!("Sheet '{name}' cannot be read: {e}")))?;
            let Some(cell) = cell else { break };
            let (row, col) = cell.get_position();
            if current != Some(row) {
                if let Some(done) = current {
                    sheets.row(i64::from(done) + 1, std::mem::take(&mut cells))?;
                }
                current = Some(row);
            }
            let col = col as usize;
            if col >= MAX_COLUMNS {
                return Err(unreadable(format!(
                    "Sheet '{name}' row {} has a value in column {}; a file may have at most {MAX_COLUMNS} columns",
                    row + 1,
                    column_letter(col)
                )));
            }
            if cells.len() <= col {
                cells.resize(col + 1, String::new());
            }
            cells[col] = cell_text(&Data::from(cell.get_value().clone()));
        }
        if let Some(done) = current {
            sheets.row(i64::from(done) + 1, cells)?;
        }
    }
    Ok(())
}

fn read_xls<R: Read + Seek>(reader: R, sheets: &mut Sheets) -> Result<(), Unreadable> {
    let mut book: Xls<R> = Xls::new(reader).map_err(|e| {
        unreadable(format!(
            "The file is an OLE compound file but not an Excel workbook (.xls): {e}"
        ))
    })?;
    for name in worksheets(&book) {
        sheets.start_sheet(name.clone());
        let range = book
            .worksheet_range(&name)
            .map_err(|e| unreadable(format!("Sheet '{name}' cannot be read: {e}")))?;
        let Some((first_row, first_col)) = range.start() else {
            continue;
        };
        if first_col as usize + range.width() > MAX_COLUMNS {
            return Err(unreadable(format!(
                "Sheet '{name}' has {} columns; a file may have at most {MAX_COLUMNS}",
                first_col as usize + range.width()
            )));
        }
        for (i, row) in range.rows().enumerate() {
            let mut cells = vec![String::new(); first_col as usize];
            cells.extend(row.iter().map(cell_text));
            sheets.row(i64::from(first_row) + i as i64 + 1, cells)?;
        }
    }
    Ok(())
}

/// The names of a workbook's worksheets (not its chart or macro sheets), in order.
fn worksheets<R: Read + Seek>(book: &impl Reader<R>) -> Vec<String> {
    book.sheets_metadata()
        .iter()
        .filter(|s| s.typ == SheetType::WorkSheet)
        .map(|s| s.name.clone())
        .collect()
}

/// A cell as text.
fn cell_text(value: &Data) -> String {
    match value {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_owned(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::Error(e) => e.to_string(),
        Data::DateTime(d) if d.is_datetime() => {
            let (y, mo, day, h, mi, s, _) = d.to_ymd_hms_milli();
            if (h, mi, s) == (0, 0, 0) {
                format!("{y:04}-{mo:02}-{day:02}")
            } else {
                format!("{y:04}-{mo:02}-{day:02}T{h:02}:{mi:02}:{s:02}")
            }
        }
        Data::DateTime(d) => number_text(d.as_f64()),
    }
}

/// A number as a person wrote it: whole numbers without a fraction (a phone number typed into
/// a number cell is `905551234567`, not `905551234567.0` or `9.05551234567e11`).
fn number_text(f: f64) -> String {
    if f.is_finite() && f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        f.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// How much of a CSV the delimiter is decided from.
const SNIFF_BYTES: usize = 64 * 1024;

fn read_csv(path: &Path, name: Option<&str>, sheets: &mut Sheets) -> Result<(), Unreadable> {
    let open = || File::open(path).map_err(|e| unreadable(format!("The file cannot be read: {e}")));
    let encoding = detect_encoding(&mut open()?)?;
    let mut sample = String::new();
    DecodeReader::new(open()?, encoding)
        .take(SNIFF_BYTES as u64)
        .read_to_string(&mut sample)
        .map_err(|e| unreadable(format!("The file cannot be read: {e}")))?;
    if sample
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n'))
    {
        return Err(unreadable(
            "The file is not a spreadsheet: upload a CSV, XLSX or XLS file",
        ));
    }
    if sample.trim().is_empty() {
        return Err(unreadable("The file is empty"));
    }
    let delimiter = detect_delimiter(&sample, sample.len() >= SNIFF_BYTES);
    let sheet_name = name
        .map(|n| {
            Path::new(n)
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or(n)
        })
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Sheet1");
    sheets.start_sheet(sheet_name.to_owned());
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(DecodeReader::new(open()?, encoding));
    let mut record = csv::StringRecord::new();
    // Rows are numbered by record: the header is 1. (A record may span lines inside quotes,
    // and blank lines are not records, so a line count would say less.)
    let mut number = 0;
    loop {
        let more = reader.read_record(&mut record).map_err(|e| {
            unreadable(format!(
                "The file is not valid CSV{}: {e}",
                e.position()
                    .map(|p| format!(" at line {}", p.line()))
                    .unwrap_or_default()
            ))
        })?;
        if !more {
            break;
        }
        number += 1;
        sheets.row(number, record.iter().map(|c| c.trim().to_owned()).collect())?;
        if !sheets.open {
            break;
        }
    }
    Ok(())
}

/// The file's encoding: by its byte-order mark, else UTF-8 if all of it is, else Windows-1252.
fn detect_encoding(file: &mut File) -> Result<&'static Encoding, Unreadable> {
    let mut head = [0u8; 3];
    let n = read_up_to(file, &mut head)?;
    if let Some((encoding, _)) = Encoding::for_bom(&head[..n]) {
        return Ok(encoding);
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| unreadable(format!("The file cannot be read: {e}")))?;
    // Validated in pieces: a sequence cut at a piece's end is carried into the next.
    let mut decoder = UTF_8.new_decoder_without_bom_handling();
    let mut input = vec![0u8; 64 * 1024];
    let mut output = vec![0u8; 64 * 1024 * 3 + 16];
    loop {
        let n = file
            .read(&mut input)
            .map_err(|e| unreadable(format!("The file cannot be read: {e}")))?;
        let last = n == 0;
        let mut src = &input[..n];
        loop {
            let (result, read, _) =
                decoder.decode_to_utf8_without_replacement(src, &mut output, last);
            match result {
                encoding_rs::DecoderResult::Malformed(_, _) => return Ok(WINDOWS_1252),
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => src = &src[read..],
            }
        }
        if last {
            return Ok(UTF_8);
        }
    }
}

/// The delimiter under which the sample's first lines split most consistently into more than
/// one column; a comma when none does (a file of one column).
fn detect_delimiter(sample: &str, truncated: bool) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for delimiter in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample.as_bytes());
        let mut widths: Vec<usize> = reader
            .records()
            .map_while(Result::ok)
            .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
            .take(100)
            .map(|r| r.len())
            .collect();
        if truncated && widths.len() > 1 {
            // The sample may end inside a record.
            widths.pop();
        }
        let Some(&header) = widths.first() else {
            continue;
        };
        if header < 2 {
            continue;
        }
        let consistent = widths.iter().filter(|&&w| w == header).count();
        if (consistent, header) > (best.1, best.2) {
            best = (delimiter, consistent, header);
        }
    }
    best.0
}

/// A reader that decodes `inner` from `encoding` to UTF-8 as it is read (a byte-order mark is
/// dropped; what cannot be decoded becomes U+FFFD).
struct DecodeReader<R> {
    inner: R,
    decoder: Decoder,
    input: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// The decoder has flushed its last output.
    done: bool,
    output: Vec<u8>,
    out_start: usize,
    out_end: usize,
}

impl<R: Read> DecodeReader<R> {
    fn new(inner: R, encoding: &'static Encoding) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: vec![0; 32 * 1024],
            start: 0,
            end: 0,
            eof: false,
            done: false,
            // Room for any input piece: one byte decodes to at most three of UTF-8.
            output: vec![0; 32 * 1024 * 3 + 16],
            out_start: 0,
            out_end: 0,
        }
    }
}

impl<R: Read> Read for DecodeReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.out_start == self.out_end {
            if self.done {
                return Ok(0);
            }
            if self.start == self.end && !self.eof {
                self.start = 0;
                self.end = self.inner.read(&mut self.input)?;
                self.eof = self.end == 0;
            }
            let (result, read, written, _) = self.decoder.decode_to_utf8(
                &self.input[self.start..self.end],
                &mut self.output,
                self.eof,
            );
            self.start += read;
            self.out_start = 0;
            self.out_end = written;
            self.done = self.eof && result == CoderResult::InputEmpty;
        }
        let n = buf.len().min(self.out_end - self.out_start);
        buf[..n].copy_from_slice(&self.output[self.out_start..self.out_start + n]);
        self.out_start += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn parse_bytes(bytes: &[u8], name: Option<&str>) -> Result<(Parsed, Vec<Row>), Unreadable> {
        let mut file = tempfile::NamedTempFile::new().expect("temp file");
        file.write_all(bytes).expect("write");
        let mut rows = Vec::new();
        let parsed = parse(file.path(), name, &mut |r| {
            rows.push(r);
            true
        })?;
        Ok((parsed, rows))
    }

    fn cells(row: &Row) -> Vec<&str> {
        row.cells.iter().map(String::as_str).collect()
    }

    #[test]
    fn csv_with_bom_and_commas() {
        let (parsed, rows) = parse_bytes(
            b"\xEF\xBB\xBFEmail,First Name,Last Name\r\njane@example.com,Jane,Doe\r\n\r\nJANE@example.com, Jo ,\r\n",
            Some("people.csv"),
        )
        .expect("parses");
        assert_eq!(parsed.file_type, FileType::Csv);
        assert_eq!(parsed.sheets[0].name, "people");
        assert_eq!(
            parsed.sheets[0].headers,
            ["Email", "First Name", "Last Name"]
        );
        assert_eq!(parsed.sheets[0].row_count, 2);
        assert_eq!(parsed.duplicate_count, 1);
        assert_eq!(cells(&rows[0]), ["jane@example.com", "Jane", "Doe"]);
        assert_eq!(cells(&rows[1]), ["JANE@example.com", "Jo"]);
        assert_eq!((rows[0].number, rows[1].number), (2, 3));
    }

    #[test]
    fn latin1_with_semicolons() {
        let (parsed, rows) = parse_bytes(
            b"Email;Pr\xE9nom;Nom\njos\xE9@example.com;Jos\xE9;M\xFCller\n",
            None,
        )
        .expect("parses");
        assert_eq!(parsed.sheets[0].headers, ["Email", "Prénom", "Nom"]);
        assert_eq!(parsed.sheets[0].name, "Sheet1");
        assert_eq!(cells(&rows[0]), ["josé@example.com", "José", "Müller"]);
    }

    #[test]
    fn utf8_without_bom_stays_utf8_and_tabs_are_found() {
        let (parsed, rows) =
            parse_bytes("Email\tFirst Name\nzoë@example.com\tZoë\n".as_bytes(), None)
                .expect("parses");
        assert_eq!(parsed.sheets[0].headers, ["Email", "First Name"]);
        assert_eq!(cells(&rows[0]), ["zoë@example.com", "Zoë"]);
    }

    #[test]
    fn utf16_with_bom() {
        let text = "Email;Name\r\nana@example.com;Ana\r\n";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let (parsed, rows) = parse_bytes(&bytes, None).expect("parses");
        assert_eq!(parsed.sheets[0].headers, ["Email", "Name"]);
        assert_eq!(cells(&rows[0]), ["ana@example.com", "Ana"]);
    }

    #[test]
    fn quoted_delimiters_do_not_confuse_detection() {
        let (parsed, rows) = parse_bytes(
            b"Email;Department\n\"a@example.com\";\"Sales, EMEA\"\nb@example.com;\"R;D\"\n",
            None,
        )
        .expect("parses");
        assert_eq!(parsed.sheets[0].headers, ["Email", "Department"]);
        assert_eq!(cells(&rows[1]), ["b@example.com", "R;D"]);
    }

    #[test]
    fn headers_are_named_and_numbered() {
        let (parsed, _) =
            parse_bytes(b"Email,,email,Name\na@example.com,x,y,z,extra\n", None).expect("parses");
        assert_eq!(
            parsed.sheets[0].headers,
            ["Email", "Column B", "email (2)", "Name"]
        );
    }

    #[test]
    fn bad_files_are_named() {
        for (bytes, says) in [
            (&b""[..], "The file is empty"),
            (b"   \r\n\r\n", "The file is empty"),
            (b"%PDF-1.7\n\x00\x01\x02binary", "not a spreadsheet"),
            (b"\x89PNG\r\n\x1a\n\x00\x00", "not a spreadsheet"),
            (b"Email,Name\n", "no rows under it"),
            (b"PK\x03\x04garbage", "not an Excel workbook"),
        ] {
            let err = parse_bytes(bytes, None).expect_err("refused");
            assert!(err.0.contains(says), "{bytes:?}: {}", err.0);
        }
    }

    #[test]
    fn xlsx_sheets_in_order_with_typed_cells() {
        let mut book = rust_xlsxwriter::Workbook::new();
        let users = book.add_worksheet().set_name("Users").expect("name");
        users.write_string(0, 0, "Email").expect("w");
        users.write_string(0, 1, "Phone").expect("w");
        users.write_string(0, 3, "Active").expect("w");
        users.write_string(1, 0, "a@example.com").expect("w");
        users.write_number(1, 1, 905551234567.0).expect("w");
        users.write_boolean(1, 3, true).expect("w");
        users.write_string(3, 0, "A@example.com").expect("w");
        let zones = book.add_worksheet().set_name("Time Zones").expect("name");
        zones.write_string(0, 0, "Id").expect("w");
        zones.write_string(1, 0, "UTC").expect("w");
        let bytes = book.save_to_buffer().expect("xlsx");
        let (parsed, rows) = parse_bytes(&bytes, Some("book.xlsx")).expect("parses");
        assert_eq!(parsed.file_type, FileType::Xlsx);
        let names: Vec<&str> = parsed.sheets.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Users", "Time Zones"]);
        assert_eq!(
            parsed.sheets[0].headers,
            ["Email", "Phone", "Column C", "Active"]
        );
        assert_eq!(
            cells(&rows[0]),
            ["a@example.com", "905551234567", "", "true"]
        );
        assert_eq!((rows[1].number, rows[1].sheet), (4, 0));
        assert_eq!(parsed.duplicate_count, 1);
        assert_eq!((rows[2].sheet, cells(&rows[2])), (1, vec!["UTC"]));
    }

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }
}
