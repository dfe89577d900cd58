//! Wall-clock instants as stored and shown: microseconds since the Unix epoch, UTC.
//!
//! Stored as a BIGINT on both databases (portable, sortable, exact). Engine time never
//! comes from here: the engine sees only the `Dt` its caller measured.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp::from(SystemTime::now())
    }

    pub const fn from_micros(micros: i64) -> Timestamp {
        Timestamp(micros)
    }

    pub const fn as_micros(self) -> i64 {
        self.0
    }

    /// The UTC calendar month, `YYYY-MM`: the billing period of monthly quotas.
    pub fn month(self) -> String {
        let (y, m, _) = self.civil_date();
        format!("{y:04}-{m:02}")
    }

    /// The UTC calendar date (year, month 1–12, day 1–31).
    pub fn civil_date(self) -> (i64, u32, u32) {
        civil_from_days(self.0.div_euclid(86_400_000_000))
    }

    /// Seconds from `earlier` to `self` (negative if `earlier` is later).
    pub fn secs_since(self, earlier: Timestamp) -> f64 {
        (self.0 - earlier.0) as f64 / 1e6
    }

    pub fn saturating_sub(self, d: Duration) -> Timestamp {
        let micros = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_sub(micros))
    }

    pub fn saturating_add(self, d: Duration) -> Timestamp {
        let micros = i64::try_from(d.as_micros()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(micros))
    }
}

impl From<SystemTime> for Timestamp {
    fn from(t: SystemTime) -> Timestamp {
        let micros = match t.duration_since(UNIX_EPOCH) {
            Ok(after) => i64::try_from(after.as_micros()).unwrap_or(i64::MAX),
            Err(before) => -i64::try_from(before.duration().as_micros()).unwrap_or(i64::MAX),
        };
        Timestamp(micros)
    }
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
/// `civil_from_days`, exact for every `i64` day count we can produce).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1–31, 1–12).
    (year, month as u32, day as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_dates_and_months() {
        assert_eq!(Timestamp::from_micros(0).civil_date(), (1970, 1, 1));
        // 2026-11-23T02:43:02Z
        let t = Timestamp::from_micros(1_795_401_782_000_000);
        assert_eq!(t.civil_date(), (2026, 11, 23));
        assert_eq!(t.month(), "2026-11");
        // 2024-02-29T23:59:59.999999Z, a leap day, and the microsecond after it.
        let leap = Timestamp::from_micros(1_709_251_199_999_999);
        assert_eq!(leap.civil_date(), (2024, 2, 29));
        assert_eq!(
            Timestamp::from_micros(leap.as_micros() + 1).civil_date(),
            (2024, 3, 1)
        );
        assert_eq!(Timestamp::from_micros(-1).civil_date(), (1969, 12, 31));
    }
}
