//! Timestamps are stored as Unix milliseconds (portable across SQLite and PostgreSQL) and
//! shown as RFC 3339 in UTC.

use time::OffsetDateTime;

pub fn now_millis() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

pub fn now_secs() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The first instant (Unix ms) of the UTC calendar month that `ms` falls in.
pub fn month_start_millis(ms: i64) -> i64 {
    let t = OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH);
    let first = t.date().replace_day(1).unwrap_or(t.date());
    (first.midnight().assume_utc().unix_timestamp_nanos() / 1_000_000) as i64
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_start_on_the_first_at_midnight_utc() {
        // 2026-11-23T09:01:46.123Z and 2026-11-01T00:00:00Z.
        assert_eq!(month_start_millis(1_795_424_506_123), 1_793_491_200_000);
        assert_eq!(month_start_millis(1_793_491_200_000), 1_793_491_200_000);
        assert_eq!(month_start_millis(1_793_491_199_999), 1_790_812_800_000);
    }
}
