//! Calendar dates as day numbers (days since 1970-01-01), enough for release dates, the
//! simulator's `--today`, change windows and export file names, without a date crate.

use anyhow::{Context, Result, bail};

/// Days since 1970-01-01 of a proleptic Gregorian date; the simulator only builds real days.
pub fn from_ymd(y: i64, m: i64, d: i64) -> i64 {
    let day = |v: i64| u32::try_from(v).ok();
    day(m)
        .zip(day(d))
        .and_then(|(m, d)| tmdb_core::date::days_from_civil(y, m, d))
        .unwrap_or_else(|| panic!("{y:04}-{m:02}-{d:02} is not a day"))
}

/// The (year, month, day) of a day number.
pub fn to_ymd(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `YYYY-MM-DD`.
pub fn format(days: i64) -> String {
    let (y, m, d) = to_ymd(days);
    format!("{y:04}-{m:02}-{d:02}")
}

/// Parses `YYYY-MM-DD` strictly (the date must exist).
pub fn parse(text: &str) -> Result<i64> {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        bail!("{text:?} is not a date (expected YYYY-MM-DD)");
    };
    let num = |s: &str, len: usize| -> Result<i64> {
        if s.len() != len || !s.bytes().all(|b| b.is_ascii_digit()) {
            bail!("{text:?} is not a date (expected YYYY-MM-DD)");
        }
        s.parse::<i64>().context("date number")
    };
    let (y, m, d) = (num(y, 4)?, num(m, 2)?, num(d, 2)?);
    // Two digits each: month and day fit a u32.
    tmdb_core::date::days_from_civil(y, m as u32, d as u32)
        .with_context(|| format!("{text:?} is not a valid date"))
}

/// Today in UTC.
pub fn today_utc() -> i64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86_400) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_dates() {
        assert_eq!(from_ymd(1970, 1, 1), 0);
        assert_eq!(format(from_ymd(2024, 2, 29)), "2024-02-29");
        assert_eq!(parse("2026-11-30").unwrap(), from_ymd(2026, 11, 30));
        for day in [-1, 0, 59, 60, 20_000, 40_000] {
            assert_eq!(parse(&format(day)).unwrap(), day);
        }
        assert!(parse("2023-02-29").is_err());
        assert!(parse("2023-2-01").is_err());
        assert!(parse("yesterday").is_err());
    }
}
