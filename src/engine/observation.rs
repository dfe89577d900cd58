//! What a client observed about its agent, and the time that passed before it.

use serde::{Deserialize, Serialize};

use super::mode::Mode;
use super::unit::Unit;

/// One observation, already validated: the engine cannot receive a bad one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub mode: Mode,
    pub signal: Unit,
    pub confidence: Unit,
}

impl Observation {
    pub fn new(mode: Mode, signal: Unit, confidence: Unit) -> Observation {
        Observation {
            mode,
            signal,
            confidence,
        }
    }
}

/// Seconds since the instance's previous cycle: the only way time enters the engine.
///
/// Recorded with every history entry so that replay reproduces the state bit for bit.
/// Construction never fails, because the value comes from clocks rather than clients:
/// NaN and negative gaps (a clock stepping back) count as no time at all, and `+∞` as
/// "very long" (each version caps how much of a gap it accounts for).
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(from = "f64", into = "f64")]
pub struct Dt(f64);

impl Dt {
    /// No time passed: the cycles after the first of a batch.
    pub const ZERO: Dt = Dt(0.0);

    pub fn from_secs(secs: f64) -> Dt {
        if secs > 0.0 { Dt(secs) } else { Dt(0.0) }
    }

    pub fn from_duration(duration: std::time::Duration) -> Dt {
        Dt::from_secs(duration.as_secs_f64())
    }

    pub const fn secs(self) -> f64 {
        self.0
    }
}

impl From<f64> for Dt {
    fn from(secs: f64) -> Dt {
        Dt::from_secs(secs)
    }
}

impl From<Dt> for f64 {
    fn from(dt: Dt) -> f64 {
        dt.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dt_sanitises_clock_artifacts() {
        assert_eq!(Dt::from_secs(f64::NAN).secs(), 0.0);
        assert_eq!(Dt::from_secs(-5.0).secs(), 0.0);
        assert_eq!(Dt::from_secs(-0.0).secs().to_bits(), 0.0f64.to_bits());
        assert_eq!(Dt::from_secs(1.5).secs(), 1.5);
        assert_eq!(Dt::from_secs(f64::INFINITY).secs(), f64::INFINITY);
    }
}
