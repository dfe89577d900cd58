//! Drift: how far a cycle moved the modes from the instance's identity baseline.

use std::fmt;

use serde::ser::SerializeStruct;
use serde::{Deserialize, Serialize, Serializer};

use super::mode::{MODE_COUNT, Mode, ModeList};
use super::params::ClassParams;

/// Drift level: D0 noise, D1 context, D2 adaptive, D3 corrupt (rolled back).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum DriftLevel {
    D0,
    D1,
    D2,
    D3,
}

impl DriftLevel {
    pub(crate) fn classify(p: &ClassParams, distance: f64) -> DriftLevel {
        let [d1, d2, d3] = p.drift_thresholds;
        if distance >= d3 {
            DriftLevel::D3
        } else if distance >= d2 {
            DriftLevel::D2
        } else if distance >= d1 {
            DriftLevel::D1
        } else {
            DriftLevel::D0
        }
    }

    pub const ALL: [DriftLevel; 4] = [
        DriftLevel::D0,
        DriftLevel::D1,
        DriftLevel::D2,
        DriftLevel::D3,
    ];

    pub fn from_name(name: &str) -> Option<DriftLevel> {
        DriftLevel::ALL.into_iter().find(|l| l.as_str() == name)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            DriftLevel::D0 => "D0",
            DriftLevel::D1 => "D1",
            DriftLevel::D2 => "D2",
            DriftLevel::D3 => "D3",
        }
    }
}

/// The drift classification of one cycle.
///
/// Kept allocation-free (the per-mode offsets and an inline list of the modes beyond the
/// D1 threshold); the human-readable `deviation` is written only when serialised.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Drift {
    level: DriftLevel,
    rolled_back: bool,
    /// `m − baseline` per mode, measured before the baseline followed the modes and
    /// before any rollback: what the cycle did.
    offsets: [f64; MODE_COUNT],
    /// Modes whose offset reached the D1 threshold, largest offset first.
    affected: ModeList,
}

impl Drift {
    /// The drift of a state no cycle has moved yet.
    pub const NONE: Drift = Drift {
        level: DriftLevel::D0,
        rolled_back: false,
        offsets: [0.0; MODE_COUNT],
        affected: ModeList::EMPTY,
    };

    pub(crate) fn measure(
        p: &ClassParams,
        modes: &[f64; MODE_COUNT],
        baseline: &[f64; MODE_COUNT],
    ) -> Drift {
        let offsets: [f64; MODE_COUNT] = std::array::from_fn(|k| modes[k] - baseline[k]);
        let magnitudes = offsets.map(f64::abs);
        let distance = magnitudes.iter().copied().fold(0.0, f64::max);
        let level = DriftLevel::classify(p, distance);
        Drift {
            level,
            rolled_back: level == DriftLevel::D3,
            offsets,
            affected: ModeList::ranked(&magnitudes, |m| m >= p.drift_thresholds[0], true),
        }
    }

    pub fn level(&self) -> DriftLevel {
        self.level
    }

    /// True when the cycle reached D3 and its modes were replaced by the last stable ones.
    pub fn rolled_back(&self) -> bool {
        self.rolled_back
    }

    pub fn affected_modes(&self) -> &ModeList {
        &self.affected
    }

    /// The signed offset of `mode` from its baseline.
    pub fn offset(&self, mode: Mode) -> f64 {
        self.offsets[mode.index()]
    }

    /// The distance the level was classified by: the largest offset of any mode.
    pub fn magnitude(&self) -> f64 {
        self.offsets.iter().fold(0.0, |m, o| m.max(o.abs()))
    }

    /// Names each affected mode and its offset, e.g. `exploration +0.47 vs baseline`.
    pub fn deviation(&self) -> Deviation<'_> {
        Deviation(self)
    }
}

/// [`Drift::deviation`] as text, written straight into the output.
pub struct Deviation<'a>(&'a Drift);

impl fmt::Display for Deviation<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let drift = self.0;
        if drift.affected.is_empty() {
            return f.write_str("all modes near baseline");
        }
        for (i, mode) in drift.affected.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{mode} {:+.2}", drift.offset(mode))?;
        }
        f.write_str(" vs baseline")
    }
}

impl Serialize for Drift {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct Affected<'a>(&'a ModeList);
        impl Serialize for Affected<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_seq(self.0.iter())
            }
        }
        struct Text<'a>(Deviation<'a>);
        impl Serialize for Text<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(&self.0)
            }
        }
        let mut s = serializer.serialize_struct("Drift", 4)?;
        s.serialize_field("level", &self.level)?;
        s.serialize_field("deviation", &Text(self.deviation()))?;
        s.serialize_field("affected_modes", &Affected(&self.affected))?;
        s.serialize_field("rolled_back", &self.rolled_back)?;
        s.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::params::V1;

    #[test]
    fn levels_follow_the_thresholds() {
        let p = &V1.classes;
        assert_eq!(DriftLevel::classify(p, 0.0), DriftLevel::D0);
        assert_eq!(DriftLevel::classify(p, 0.1499), DriftLevel::D0);
        assert_eq!(DriftLevel::classify(p, 0.15), DriftLevel::D1);
        assert_eq!(DriftLevel::classify(p, 0.30), DriftLevel::D2);
        assert_eq!(DriftLevel::classify(p, 0.45), DriftLevel::D3);
    }

    #[test]
    fn deviation_names_each_mode_beyond_the_d1_threshold() {
        let baseline = [0.5; MODE_COUNT];
        let mut modes = baseline;
        modes[Mode::Exploration.index()] = 0.97;
        modes[Mode::Order.index()] = 0.29;
        modes[Mode::Identity.index()] = 0.6;
        let drift = Drift::measure(&V1.classes, &modes, &baseline);
        assert_eq!(drift.level(), DriftLevel::D3);
        assert!((drift.magnitude() - 0.47).abs() < 1e-12);
        assert!(drift.rolled_back());
        assert_eq!(
            drift.deviation().to_string(),
            "exploration +0.47, order -0.21 vs baseline"
        );
        assert_eq!(
            drift.affected_modes().as_slice(),
            &[Mode::Exploration, Mode::Order]
        );
        let none = Drift::measure(&V1.classes, &baseline, &baseline);
        assert_eq!(none.deviation().to_string(), "all modes near baseline");
    }
}
