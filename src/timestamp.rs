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

    /// RFC 3339 in UTC with `Z`: seconds, plus microseconds when there are any.
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d) = self.civil_date();
        let in_day = self.0.rem_euclid(86_400_000_000);
        let (secs, micros) = (in_day / 1_000_000, in_day % 1_000_000);
        let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
        if micros == 0 {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        } else {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{micros:06}Z")
        }
    }

    /// Parses RFC 3339 (`2026-03-24T10:15:30Z`, `…30.5+02:00`; `t`/`z` and a space
    /// separator accepted as RFC 3339 allows). Fractions finer than microseconds are
    /// truncated. Leap seconds (`:60`) are refused.
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        let b = s.as_bytes();
        let digits = |from: usize, n: usize| -> Option<i64> {
            let part = b.get(from..from + n)?;
            part.iter().all(u8::is_ascii_digit).then(|| {
                part.iter()
                    .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
            })
        };
        let at = |i: usize, c: u8| b.get(i).is_some_and(|x| x.eq_ignore_ascii_case(&c));
        if !(at(4, b'-')
            && at(7, b'-')
            && (at(10, b'T') || at(10, b' '))
            && at(13, b':')
            && at(16, b':'))
        {
            return None;
        }
        let (year, month, day) = (digits(0, 4)?, digits(5, 2)?, digits(8, 2)?);
        let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
        let month = u32::try_from(month).ok().filter(|m| (1..=12).contains(m))?;
        let day = u32::try_from(day).ok()?;
        if day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
            return None;
        }
        let mut i = 19;
        let mut micros = 0i64;
        if at(i, b'.') {
            i += 1;
            let start = i;
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                if i - start < 6 {
                    micros = micros * 10 + i64::from(b[i] - b'0');
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            for _ in (i - start)..6 {
                micros *= 10;
            }
        }
        let offset_secs = if at(i, b'Z') && b.len() == i + 1 {
            0
        } else if (at(i, b'+') || at(i, b'-')) && at(i + 3, b':') && b.len() == i + 6 {
            let (h, m) = (digits(i + 1, 2)?, digits(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let sign = if at(i, b'-') { -1 } else { 1 };
            sign * (h * 3600 + m * 60)
        } else {
            return None;
        };
        let secs = days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second
            - offset_secs;
        Some(Timestamp(secs * 1_000_000 + micros))
    }

    /// As [`Timestamp::parse_rfc3339`], but a time without an offset
    /// (`2026-03-24T10:15:30`, what Python's naive `datetime.isoformat()` writes) is UTC.
    pub fn parse_rfc3339_or_naive_utc(s: &str) -> Option<Timestamp> {
        Timestamp::parse_rfc3339(s).or_else(|| Timestamp::parse_rfc3339(&format!("{s}Z")))
    }

    /// Whole seconds (rounded up) until the next UTC calendar month begins.
    pub fn secs_until_next_month(self) -> u64 {
        let (y, m, _) = self.civil_date();
        let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
        let next = days_from_civil(ny, nm, 1) * 86_400_000_000;
        u64::try_from((next - self.0 + 999_999) / 1_000_000).unwrap_or(0)
    }

    /// The UTC calendar date (year, month 1–12, day 1–31).
    pub fn civil_date(self) -> (i64, u32, u32) {
        civil_from_days(self.0.div_euclid(86_400_000_000))
    }

    pub fn to_system_time(self) -> SystemTime {
        match u64::try_from(self.0) {
            Ok(after) => UNIX_EPOCH + Duration::from_micros(after),
            Err(_) => UNIX_EPOCH - Duration::from_micros(self.0.unsigned_abs()),
        }
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

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The inverse of [`civil_from_days`] (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
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
        assert_eq!(t.to_rfc3339(), "2026-11-23T02:43:02Z");
        assert_eq!(
            Timestamp::from_micros(1_795_401_782_000_250).to_rfc3339(),
            "2026-11-23T02:43:02.000250Z"
        );
        // 2024-02-29T23:59:59.999999Z, a leap day, and the microsecond after it.
        let leap = Timestamp::from_micros(1_709_251_199_999_999);
        assert_eq!(leap.civil_date(), (2024, 2, 29));
        assert_eq!(
            Timestamp::from_micros(leap.as_micros() + 1).civil_date(),
            (2024, 3, 1)
        );
        assert_eq!(Timestamp::from_micros(-1).civil_date(), (1969, 12, 31));
        for days in [-800_000, -1, 0, 1, 59, 60, 20_000, 20_515, 3_000_000] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        for (text, micros) in [
            ("2026-11-23T02:43:02Z", 1_795_401_782_000_000),
            ("2026-11-23t02:43:02z", 1_795_401_782_000_000),
            ("2026-11-23 02:43:02Z", 1_795_401_782_000_000),
            ("2026-11-23T04:43:02+02:00", 1_795_401_782_000_000),
            ("2026-11-22T23:13:02-03:30", 1_795_401_782_000_000),
            ("2026-11-23T02:43:02.5Z", 1_795_401_782_500_000),
            ("2026-11-23T02:43:02.000250999Z", 1_795_401_782_000_250),
            ("2024-02-29T23:59:59.999999Z", 1_709_251_199_999_999),
        ] {
            assert_eq!(
                Timestamp::parse_rfc3339(text),
                Some(Timestamp(micros)),
                "{text}"
            );
        }
        for bad in [
            "",
            "2026-11-23",
            "2026-11-23T02:43:02",
            "2026-13-01T00:00:00Z",
            "2025-02-29T00:00:00Z",
            "2026-11-23T24:00:00Z",
            "2026-11-23T02:43:60Z",
            "2026-11-23T02:43:02.Z",
            "2026-11-23T02:43:02+2:00",
            "2026-11-23T02:43:02Zx",
            "yesterday",
            "2026-11-23T02:43:02+24:00",
        ] {
            assert_eq!(Timestamp::parse_rfc3339(bad), None, "{bad}");
        }
        // 2026-11-23T02:43:02Z → 2026-12-01T00:00:00Z.
        assert_eq!(
            t.secs_until_next_month(),
            7 * 86_400 + 21 * 3600 + 16 * 60 + 58
        );
    }
}
