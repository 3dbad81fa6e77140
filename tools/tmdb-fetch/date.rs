//! Calendar dates (`YYYY-MM-DD`, UTC) for export file names, discover ranges and change
//! windows. Days are counted from 1970-01-01 so ranges split and step by plain arithmetic; no
//! time zones, no times of day: TMDB's dates are whole UTC days.

use std::fmt;
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

/// A day, as a count of days since 1970-01-01.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Date(i64);

impl Date {
    /// Today in UTC.
    pub fn today() -> Date {
        let secs = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date((secs / 86_400) as i64)
    }

    /// The date of a year, month and day; `None` when there is no such day.
    pub fn from_ymd(year: i64, month: u32, day: u32) -> Option<Date> {
        tmdb_core::date::days_from_civil(year, month, day).map(Date)
    }

    /// Year, month, day.
    pub fn ymd(self) -> (i64, u32, u32) {
        // Howard Hinnant's civil_from_days.
        let z = self.0 + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
        (year, month, day)
    }

    /// The date `days` later (earlier when negative).
    pub fn plus(self, days: i64) -> Date {
        Date(self.0 + days)
    }

    /// Whole days from `self` to `later`.
    pub fn days_until(self, later: Date) -> i64 {
        later.0 - self.0
    }

    /// TMDB's export file names use `MM_DD_YYYY`.
    pub fn export_stamp(self) -> String {
        let (y, m, d) = self.ymd();
        format!("{m:02}_{d:02}_{y:04}")
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(text: &str) -> Result<Date, String> {
        let bad = || format!("{text:?} is not a date: expected YYYY-MM-DD");
        let parts: Vec<&str> = text.split('-').collect();
        let [y, m, d] = parts[..] else {
            return Err(bad());
        };
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let year = y.parse().map_err(|_| bad())?;
        let month = m.parse().map_err(|_| bad())?;
        let day = d.parse().map_err(|_| bad())?;
        Date::from_ymd(year, month, day).ok_or_else(bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_steps_across_months_and_leap_days() {
        for text in [
            "1970-01-01",
            "1874-12-09",
            "2000-02-29",
            "2026-11-30",
            "2100-03-01",
        ] {
            assert_eq!(text.parse::<Date>().unwrap().to_string(), text);
        }
        let d: Date = "2024-02-28".parse().unwrap();
        assert_eq!(d.plus(1).to_string(), "2024-02-29");
        assert_eq!(d.plus(2).to_string(), "2024-03-01");
        assert_eq!(d.plus(-59).to_string(), "2023-12-31");
        assert_eq!(d.days_until(d.plus(14)), 14);
        assert_eq!("1970-01-01".parse::<Date>().unwrap(), Date(0));
        assert_eq!(d.export_stamp(), "02_28_2024");
    }

    #[test]
    fn refuses_what_is_not_a_day() {
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "24-01-01",
            "2024/01/01",
            "",
            "x",
        ] {
            assert!(bad.parse::<Date>().is_err(), "{bad}");
        }
    }
}
