//! Timestamps are stored as Unix milliseconds (portable across SQLite and PostgreSQL) and
//! shown as RFC 3339 in UTC.

use time::OffsetDateTime;

pub fn now_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 in UTC with millisecond precision, e.g. `2026-11-23T09:01:46.123Z`.
pub fn millis_to_rfc3339(ms: i64) -> String {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    t.format(&format).unwrap_or_default()
}

/// A date or an instant as people and spreadsheets write them: RFC 3339
/// (`2026-11-23T10:00:00Z`, `…+02:00`), the same without an offset (UTC, fractions allowed),
/// or a date alone (`2026-11-23`). Answers Unix milliseconds and whether only a date was
/// given, so that a filter can take it as the whole day.
pub fn parse_date(value: &str) -> Option<(i64, bool)> {
    use time::macros::format_description;
    use time::{Date, PrimitiveDateTime};
    let v = value.trim();
    let millis = |t: OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000) as i64;
    if let Ok(t) = OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339) {
        return Some((millis(t), false));
    }
    // `2026-11-23T10:00:00` or `2026-11-23T10:00:00.123` without an offset: UTC.
    let naive = format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Some(t) = v
        .get(..19)
        .and_then(|head| PrimitiveDateTime::parse(head, &naive).ok())
        && v[19..]
            .trim_start_matches('.')
            .bytes()
            .all(|b| b.is_ascii_digit())
    {
        return Some((millis(t.assume_utc()), false));
    }
    let date = Date::parse(v, format_description!("[year]-[month]-[day]")).ok()?;
    Some((millis(date.midnight().assume_utc()), true))
}

/// The first instant of the current calendar month, in UTC, as Unix milliseconds.
pub fn month_start_millis() -> i64 {
    let today = OffsetDateTime::now_utc().date();
    let first = today.replace_day(1).unwrap_or(today);
    (first.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
