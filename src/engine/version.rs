//! The registry of engine versions.
//!
//! An instance records the version it runs on; its history replays only under that
//! version's numbers. Adding version 2 means adding a variant, its `Params` and a match
//! arm here: the compiler then points at every place that must decide how version 2
//! differs, while version-1 instances keep replaying bit for bit.

use serde::{Deserialize, Serialize};

use super::params::{self, Params};

/// A version of the engine's dynamics, serialised as its number (`1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u16", into = "u16")]
pub enum EngineVersion {
    V1 = 1,
}

/// A version number this server does not ship.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown engine version {0}")]
pub struct UnknownEngineVersion(pub u16);

impl EngineVersion {
    /// Every shipped version, oldest first.
    pub const ALL: [EngineVersion; 1] = [EngineVersion::V1];
    /// The version new instances start on and `update` moves instances to.
    pub const LATEST: EngineVersion = EngineVersion::V1;

    pub const fn number(self) -> u16 {
        self as u16
    }

    pub fn from_number(number: u16) -> Result<EngineVersion, UnknownEngineVersion> {
        EngineVersion::ALL
            .into_iter()
            .find(|v| v.number() == number)
            .ok_or(UnknownEngineVersion(number))
    }

    /// True when a newer version than `self` ships (`update_available`).
    pub fn update_available(self) -> bool {
        self < EngineVersion::LATEST
    }

    pub(crate) const fn params(self) -> &'static Params {
        match self {
            EngineVersion::V1 => &params::V1,
        }
    }
}

impl TryFrom<u16> for EngineVersion {
    type Error = UnknownEngineVersion;

    fn try_from(number: u16) -> Result<Self, Self::Error> {
        EngineVersion::from_number(number)
    }
}

impl From<EngineVersion> for u16 {
    fn from(version: EngineVersion) -> u16 {
        version.number()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_and_unknown_ones_are_refused() {
        for v in EngineVersion::ALL {
            assert_eq!(EngineVersion::from_number(v.number()), Ok(v));
        }
        assert_eq!(EngineVersion::from_number(0), Err(UnknownEngineVersion(0)));
        assert_eq!(EngineVersion::from_number(2), Err(UnknownEngineVersion(2)));
        assert!(!EngineVersion::LATEST.update_available());
    }
}
