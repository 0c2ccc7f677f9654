//! Calendar dates, `YYMMDD` decoding and century inference.

use std::fmt;

/// A proleptic Gregorian calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Date {
    /// Full year, e.g. 1974.
    pub year: i32,
    /// Month 1-12.
    pub month: u8,
    /// Day 1-31.
    pub day: u8,
}

impl Date {
    /// A checked constructor: `None` when the date does not exist (e.g. 2011-02-29).
    pub fn new(year: i32, month: u8, day: u8) -> Option<Date> {
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return None;
        }
        Some(Date { year, month, day })
    }

    /// Today's date (UTC) from the system clock.
    pub fn today() -> Date {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Date::from_days_since_epoch(secs.div_euclid(86_400))
    }

    /// Converts a count of days since 1970-01-01 into a date.
    pub fn from_days_since_epoch(days: i64) -> Date {
        // Shift the epoch to 0000-03-01 so leap days fall at the end of a 400-year era.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as i32;
        Date { year, month, day }
    }

    /// The ISO 8601 form `YYYY-MM-DD`.
    pub fn to_iso(&self) -> String {
        self.to_string()
    }

    /// The same day `years` later (28 February when the day does not exist).
    pub fn add_years(&self, years: i32) -> Date {
        let year = self.year + years;
        let day = self.day.min(days_in_month(year, self.month));
        Date {
            year,
            month: self.month,
            day,
        }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// True for Gregorian leap years.
pub fn is_leap(year: i32) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days of `month` (1-12) in `year`.
pub fn days_in_month(year: i32, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// What an MRZ date is, which decides the century.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateKind {
    /// Date of birth: the most recent century that puts it on or before the reference date.
    Birth,
    /// Expiry: the latest century that puts it no more than 20 years after the reference date.
    Expiry,
}

/// Splits a `YYMMDD` field into its three numbers; `None` unless all six bytes are digits.
pub fn split_yymmdd(raw: &[u8]) -> Option<(u8, u8, u8)> {
    if raw.len() != 6 || !raw.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = |i: usize| (raw[i] - b'0') * 10 + (raw[i + 1] - b'0');
    Some((n(0), n(2), n(4)))
}

/// Decodes a `YYMMDD` MRZ date with century inference relative to `reference`.
///
/// ```
/// use kycd_mrz::{Date, DateKind, resolve_date};
/// let today = Date::new(2026, 11, 26).unwrap();
/// assert_eq!(resolve_date(b"740812", DateKind::Birth, today).unwrap().to_iso(), "1974-08-12");
/// assert_eq!(resolve_date(b"200101", DateKind::Birth, today).unwrap().year, 2020);
/// assert_eq!(resolve_date(b"451231", DateKind::Expiry, today).unwrap().year, 2045);
/// assert_eq!(resolve_date(b"941101", DateKind::Expiry, today).unwrap().year, 1994);
/// ```
pub fn resolve_date(raw: &[u8], kind: DateKind, reference: Date) -> Option<Date> {
    let (yy, mm, dd) = split_yymmdd(raw)?;
    let yy = i32::from(yy);
    let base = reference.year - reference.year.rem_euclid(100);
    let limit = match kind {
        DateKind::Birth => reference,
        DateKind::Expiry => reference.add_years(20),
    };
    // Latest candidate year ≤ limit year with these two digits; compare full dates.
    let mut year = base + yy;
    if year > limit.year {
        year -= 100;
    }
    let as_key = |y: i32| (y, mm, dd);
    if as_key(year) > (limit.year, limit.month, limit.day) {
        year -= 100;
    }
    Date::new(year, mm, dd)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_conversion() {
        assert_eq!(
            Date::from_days_since_epoch(0),
            Date {
                year: 1970,
                month: 1,
                day: 1
            }
        );
        assert_eq!(
            Date::from_days_since_epoch(19_782),
            Date {
                year: 2024,
                month: 2,
                day: 29
            }
        );
        assert_eq!(
            Date::from_days_since_epoch(-1),
            Date {
                year: 1969,
                month: 12,
                day: 31
            }
        );
        assert!(Date::today().year >= 2024);
    }

    #[test]
    fn centuries() {
        let r = Date::new(2026, 11, 26).unwrap();
        let b = |s: &[u8]| resolve_date(s, DateKind::Birth, r).map(|d| d.year);
        let e = |s: &[u8]| resolve_date(s, DateKind::Expiry, r).map(|d| d.year);
        assert_eq!(b(b"261126"), Some(2026));
        assert_eq!(b(b"261127"), Some(1926));
        assert_eq!(b(b"000101"), Some(2000));
        assert_eq!(b(b"991231"), Some(1999));
        assert_eq!(e(b"461126"), Some(2046));
        assert_eq!(e(b"461127"), Some(1946));
        assert_eq!(e(b"120415"), Some(2012));
        assert_eq!(b(b"110229"), None);
        assert_eq!(b(b"7408<<"), None);
        assert_eq!(b(b"741301"), None);
    }

    #[test]
    fn leap_and_iso() {
        assert!(Date::new(2000, 2, 29).is_some());
        assert!(Date::new(1900, 2, 29).is_none());
        assert_eq!(Date::new(1974, 8, 12).unwrap().to_iso(), "1974-08-12");
        assert_eq!(
            Date::new(2024, 2, 29).unwrap().add_years(1),
            Date::new(2025, 2, 28).unwrap()
        );
    }
}
