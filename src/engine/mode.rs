//! The seven modes and the fixed-size collections the engine keeps them in.
//!
//! Modes have three spellings on the wire (API.md §3): requests name a mode in
//! uppercase (`STRESS_RESPONSE`, lowercase accepted), `mode_strengths` keys and drift
//! `affected_modes` use lowercase (`stress_response`), and contracts use display names
//! (`"Stress Response"`). `Mode`'s own serde form is the lowercase one; the other two are
//! reached through [`Mode::upper_name`] and [`Mode::display_name`].

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One of the seven behavioural modes, in canonical order (the order of every
/// `[f64; 7]` the engine keeps).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    Perception,
    Exploration,
    Order,
    Assertion,
    Connection,
    Identity,
    StressResponse,
}

/// Number of modes.
pub const MODE_COUNT: usize = 7;

/// A mode name that is none of the seven.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown mode {0:?}: expected one of PERCEPTION, EXPLORATION, ORDER, ASSERTION, CONNECTION, IDENTITY, STRESS_RESPONSE"
)]
pub struct UnknownMode(pub String);

impl Mode {
    /// All modes in canonical order.
    pub const ALL: [Mode; MODE_COUNT] = [
        Mode::Perception,
        Mode::Exploration,
        Mode::Order,
        Mode::Assertion,
        Mode::Connection,
        Mode::Identity,
        Mode::StressResponse,
    ];

    /// Position in canonical order, the index into every mode vector.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The mode that sustained input to `self` pushes down (ENGINE.md P5):
    /// Exploration ⟂ Order, Assertion ⟂ Connection, Stress Response ⟂ Identity.
    pub const fn opposite(self) -> Option<Mode> {
        match self {
            Mode::Perception => None,
            Mode::Exploration => Some(Mode::Order),
            Mode::Order => Some(Mode::Exploration),
            Mode::Assertion => Some(Mode::Connection),
            Mode::Connection => Some(Mode::Assertion),
            Mode::Identity => Some(Mode::StressResponse),
            Mode::StressResponse => Some(Mode::Identity),
        }
    }

    /// `stress_response`: keys of `mode_strengths`, drift `affected_modes`, test options.
    pub const fn lower_name(self) -> &'static str {
        match self {
            Mode::Perception => "perception",
            Mode::Exploration => "exploration",
            Mode::Order => "order",
            Mode::Assertion => "assertion",
            Mode::Connection => "connection",
            Mode::Identity => "identity",
            Mode::StressResponse => "stress_response",
        }
    }

    /// `STRESS_RESPONSE`: the request spelling of `mode_target`, echoed in history.
    pub const fn upper_name(self) -> &'static str {
        match self {
            Mode::Perception => "PERCEPTION",
            Mode::Exploration => "EXPLORATION",
            Mode::Order => "ORDER",
            Mode::Assertion => "ASSERTION",
            Mode::Connection => "CONNECTION",
            Mode::Identity => "IDENTITY",
            Mode::StressResponse => "STRESS_RESPONSE",
        }
    }

    /// `Stress Response`: how contracts name modes.
    pub const fn display_name(self) -> &'static str {
        match self {
            Mode::Perception => "Perception",
            Mode::Exploration => "Exploration",
            Mode::Order => "Order",
            Mode::Assertion => "Assertion",
            Mode::Connection => "Connection",
            Mode::Identity => "Identity",
            Mode::StressResponse => "Stress Response",
        }
    }

    /// Parses a display name (`"Stress Response"`), the spelling contracts use.
    pub fn from_display_name(name: &str) -> Option<Mode> {
        Mode::ALL.into_iter().find(|m| m.display_name() == name)
    }
}

impl fmt::Display for Mode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.lower_name())
    }
}

/// Accepts the request spellings: all uppercase or all lowercase, nothing in between.
impl FromStr for Mode {
    type Err = UnknownMode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mode::ALL
            .into_iter()
            .find(|m| m.upper_name() == s || m.lower_name() == s)
            .ok_or_else(|| UnknownMode(s.to_owned()))
    }
}

impl Serialize for Mode {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.lower_name())
    }
}

impl<'de> Deserialize<'de> for Mode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        name.parse().map_err(serde::de::Error::custom)
    }
}

/// The seven strengths in wire form: an object keyed by lowercase mode name.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModeStrengths {
    pub perception: f64,
    pub exploration: f64,
    pub order: f64,
    pub assertion: f64,
    pub connection: f64,
    pub identity: f64,
    pub stress_response: f64,
}

impl From<[f64; MODE_COUNT]> for ModeStrengths {
    fn from(m: [f64; MODE_COUNT]) -> Self {
        let [
            perception,
            exploration,
            order,
            assertion,
            connection,
            identity,
            stress_response,
        ] = m;
        ModeStrengths {
            perception,
            exploration,
            order,
            assertion,
            connection,
            identity,
            stress_response,
        }
    }
}

impl From<ModeStrengths> for [f64; MODE_COUNT] {
    fn from(m: ModeStrengths) -> Self {
        [
            m.perception,
            m.exploration,
            m.order,
            m.assertion,
            m.connection,
            m.identity,
            m.stress_response,
        ]
    }
}

/// An ordered list of distinct modes held inline, so that deriving a contract or a drift
/// report allocates nothing on the hot path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ModeList {
    len: u8,
    modes: [Mode; MODE_COUNT],
}

impl ModeList {
    pub const EMPTY: ModeList = ModeList {
        len: 0,
        modes: [Mode::Perception; MODE_COUNT],
    };

    /// Appends `mode` unless it is already present (a list never repeats a mode, so it
    /// never holds more than seven).
    pub fn push(&mut self, mode: Mode) {
        if !self.contains(mode) {
            self.modes[usize::from(self.len)] = mode;
            self.len += 1;
        }
    }

    pub fn as_slice(&self) -> &[Mode] {
        &self.modes[..usize::from(self.len)]
    }

    pub fn contains(&self, mode: Mode) -> bool {
        self.as_slice().contains(&mode)
    }

    pub fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn iter(&self) -> impl Iterator<Item = Mode> + '_ {
        self.as_slice().iter().copied()
    }

    /// The modes whose value satisfies `keep`, ordered by `rank` (ties in canonical order).
    pub(crate) fn ranked(
        values: &[f64; MODE_COUNT],
        keep: impl Fn(f64) -> bool,
        strongest_first: bool,
    ) -> ModeList {
        let mut order = Mode::ALL;
        // A stable sort keeps canonical order among equal values: deterministic output.
        order.sort_by(|a, b| {
            let (x, y) = (values[a.index()], values[b.index()]);
            if strongest_first {
                y.total_cmp(&x)
            } else {
                x.total_cmp(&y)
            }
        });
        let mut list = ModeList::EMPTY;
        for mode in order {
            if keep(values[mode.index()]) {
                list.push(mode);
            }
        }
        list
    }

    /// The first `n` modes of the list.
    pub(crate) fn truncated(mut self, n: usize) -> ModeList {
        self.len = self.len.min(u8::try_from(n).unwrap_or(u8::MAX));
        self
    }
}

impl FromIterator<Mode> for ModeList {
    fn from_iter<I: IntoIterator<Item = Mode>>(iter: I) -> Self {
        let mut list = ModeList::EMPTY;
        for mode in iter {
            list.push(mode);
        }
        list
    }
}

/// Serde adapter for contract mode lists: a JSON array of display names.
pub mod display_names {
    use serde::de::{Error, SeqAccess, Visitor};
    use serde::ser::SerializeSeq;
    use serde::{Deserializer, Serializer};

    use super::{Mode, ModeList};

    pub fn serialize<S: Serializer>(list: &ModeList, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(list.len()))?;
        for mode in list.iter() {
            seq.serialize_element(mode.display_name())?;
        }
        seq.end()
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<ModeList, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = ModeList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of mode display names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ModeList, A::Error> {
                let mut list = ModeList::EMPTY;
                while let Some(name) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    let mode = Mode::from_display_name(&name)
                        .ok_or_else(|| A::Error::custom(format!("unknown mode {name:?}")))?;
                    if list.contains(mode) {
                        return Err(A::Error::custom(format!("mode {name:?} listed twice")));
                    }
                    list.push(mode);
                }
                Ok(list)
            }
        }
        deserializer.deserialize_seq(Names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_upper_and_lower_request_spellings_only() {
        assert_eq!("STRESS_RESPONSE".parse(), Ok(Mode::StressResponse));
        assert_eq!("stress_response".parse(), Ok(Mode::StressResponse));
        assert_eq!("ORDER".parse(), Ok(Mode::Order));
        assert!("Order".parse::<Mode>().is_err());
        assert!("Stress Response".parse::<Mode>().is_err());
        assert!("".parse::<Mode>().is_err());
    }

    #[test]
    fn opposites_are_symmetric() {
        for mode in Mode::ALL {
            if let Some(o) = mode.opposite() {
                assert_eq!(o.opposite(), Some(mode));
            }
        }
        assert_eq!(Mode::Perception.opposite(), None);
    }

    #[test]
    fn ranked_orders_by_value_then_canonical_order() {
        let values = [0.7, 0.9, 0.7, 0.1, 0.5, 0.65, 0.2];
        let strong = ModeList::ranked(&values, |v| v >= 0.6, true);
        assert_eq!(
            strong.as_slice(),
            &[
                Mode::Exploration,
                Mode::Perception,
                Mode::Order,
                Mode::Identity
            ]
        );
        let weak = ModeList::ranked(&values, |v| v <= 0.35, false);
        assert_eq!(weak.as_slice(), &[Mode::Assertion, Mode::StressResponse]);
        assert_eq!(strong.truncated(3).len(), 3);
    }
}
