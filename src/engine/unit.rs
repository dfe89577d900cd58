//! `Unit`: a float known to be finite and in [0, 1].
//!
//! Every value a client hands the engine (signal, confidence, starting strengths and
//! energy) is parsed into a `Unit` at the boundary, so the engine never sees a NaN or a
//! 1.5 and needs no error paths of its own.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A finite float in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Unit(f64);

/// A value that is not a finite number in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("must be a number between 0.0 and 1.0, got {0}")]
pub struct OutOfUnitRange(pub f64);

impl Unit {
    pub const ZERO: Unit = Unit(0.0);
    pub const ONE: Unit = Unit(1.0);
    /// The neutral mode strength.
    pub const HALF: Unit = Unit(0.5);
    /// The energy an instance starts with unless told otherwise.
    pub const DEFAULT_ENERGY: Unit = Unit(0.8);

    /// Accepts `value` if it is finite and in [0, 1]; `-0.0` becomes `0.0` so equal
    /// inputs always have equal bits (determinism, P1).
    pub fn new(value: f64) -> Result<Unit, OutOfUnitRange> {
        if (0.0..=1.0).contains(&value) {
            Ok(Unit(value + 0.0))
        } else {
            Err(OutOfUnitRange(value))
        }
    }

    /// The nearest `Unit` to `value` (NaN becomes 0): for values the engine computes
    /// itself, such as test scores, which are in range by construction.
    pub fn saturating(value: f64) -> Unit {
        if value.is_nan() {
            Unit::ZERO
        } else {
            Unit(value.clamp(0.0, 1.0) + 0.0)
        }
    }

    pub const fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for Unit {
    type Error = OutOfUnitRange;

    fn try_from(value: f64) -> Result<Self, Self::Error> {
        Unit::new(value)
    }
}

impl Serialize for Unit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_f64(self.0)
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Unit::new(f64::deserialize(deserializer)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_closed_unit_interval_only() {
        assert_eq!(Unit::new(0.0).map(Unit::get), Ok(0.0));
        assert_eq!(Unit::new(1.0).map(Unit::get), Ok(1.0));
        assert_eq!(Unit::new(0.25).map(Unit::get), Ok(0.25));
        for bad in [-0.001, 1.0001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(Unit::new(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn negative_zero_is_normalised() {
        let z = Unit::new(-0.0).map(Unit::get).unwrap_or(f64::NAN);
        assert_eq!(z.to_bits(), 0.0f64.to_bits());
    }
}
