//! The twelve actions a contract allows or forbids, and a bit set of them.

use std::fmt;

use serde::de::{Error, SeqAccess, Visitor};
use serde::ser::SerializeSeq;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::mode::Mode;

/// One of exactly twelve actions (API.md §3), in the canonical order contracts list them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Action {
    Explore,
    Question,
    Elaborate,
    Suggest,
    Execute,
    Pivot,
    Challenge,
    Comfort,
    Clarify,
    Stabilize,
    Defer,
    Withdraw,
}

impl Action {
    pub const ALL: [Action; 12] = [
        Action::Explore,
        Action::Question,
        Action::Elaborate,
        Action::Suggest,
        Action::Execute,
        Action::Pivot,
        Action::Challenge,
        Action::Comfort,
        Action::Clarify,
        Action::Stabilize,
        Action::Defer,
        Action::Withdraw,
    ];

    pub const fn name(self) -> &'static str {
        match self {
            Action::Explore => "explore",
            Action::Question => "question",
            Action::Elaborate => "elaborate",
            Action::Suggest => "suggest",
            Action::Execute => "execute",
            Action::Pivot => "pivot",
            Action::Challenge => "challenge",
            Action::Comfort => "comfort",
            Action::Clarify => "clarify",
            Action::Stabilize => "stabilize",
            Action::Defer => "defer",
            Action::Withdraw => "withdraw",
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of actions as a 12-bit mask: contracts are derived without allocating, and
/// always list their actions in canonical order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ActionSet(u16);

impl ActionSet {
    pub const EMPTY: ActionSet = ActionSet(0);
    pub const ALL: ActionSet = ActionSet::of(&Action::ALL);

    pub const fn of(actions: &[Action]) -> ActionSet {
        let mut bits = 0;
        let mut i = 0;
        while i < actions.len() {
            bits |= actions[i].bit();
            i += 1;
        }
        ActionSet(bits)
    }

    pub const fn contains(self, action: Action) -> bool {
        self.0 & action.bit() != 0
    }

    pub const fn union(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 | other.0)
    }

    pub const fn minus(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 & !other.0)
    }

    pub const fn intersection(self, other: ActionSet) -> ActionSet {
        ActionSet(self.0 & other.0)
    }

    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    pub const fn len(self) -> usize {
        self.0.count_ones() as usize
    }

    pub fn is_subset(self, other: ActionSet) -> bool {
        self.minus(other).is_empty()
    }

    pub fn iter(self) -> impl Iterator<Item = Action> {
        Action::ALL.into_iter().filter(move |a| self.contains(*a))
    }

    /// The product's documented signature actions of a mode (Stress Response has none).
    pub const fn signature(mode: Mode) -> ActionSet {
        use Action::*;
        match mode {
            Mode::Perception => ActionSet::of(&[Question, Clarify, Elaborate]),
            Mode::Exploration => ActionSet::of(&[Explore, Question, Pivot]),
            Mode::Order => ActionSet::of(&[Stabilize, Clarify, Execute]),
            Mode::Assertion => ActionSet::of(&[Challenge, Execute, Suggest]),
            Mode::Connection => ActionSet::of(&[Comfort, Elaborate, Suggest]),
            Mode::Identity => ActionSet::of(&[Defer, Stabilize, Withdraw]),
            Mode::StressResponse => ActionSet::EMPTY,
        }
    }
}

impl FromIterator<Action> for ActionSet {
    fn from_iter<I: IntoIterator<Item = Action>>(iter: I) -> Self {
        iter.into_iter()
            .fold(ActionSet::EMPTY, |set, a| ActionSet(set.0 | a.bit()))
    }
}

impl Serialize for ActionSet {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for action in self.iter() {
            seq.serialize_element(action.name())?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for ActionSet {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Names;
        impl<'de> Visitor<'de> for Names {
            type Value = ActionSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a list of action names")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<ActionSet, A::Error> {
                let mut set = ActionSet::EMPTY;
                while let Some(name) = seq.next_element::<std::borrow::Cow<'de, str>>()? {
                    let action = Action::from_name(&name)
                        .ok_or_else(|| A::Error::custom(format!("unknown action {name:?}")))?;
                    set = set.union(ActionSet::of(&[action]));
                }
                Ok(set)
            }
        }
        deserializer.deserialize_seq(Names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_the_twelve_of_the_spec() {
        let names: Vec<_> = Action::ALL.iter().map(|a| a.name()).collect();
        assert_eq!(
            names,
            [
                "explore",
                "question",
                "elaborate",
                "suggest",
                "execute",
                "pivot",
                "challenge",
                "comfort",
                "clarify",
                "stabilize",
                "defer",
                "withdraw"
            ]
        );
        for a in Action::ALL {
            assert_eq!(Action::from_name(a.name()), Some(a));
        }
        assert_eq!(ActionSet::ALL.len(), 12);
    }

    #[test]
    fn set_operations() {
        use Action::*;
        let a = ActionSet::of(&[Explore, Pivot, Clarify]);
        let b = ActionSet::of(&[Pivot, Defer]);
        assert_eq!(a.union(b).len(), 4);
        assert_eq!(a.minus(b), ActionSet::of(&[Explore, Clarify]));
        assert_eq!(a.intersection(b), ActionSet::of(&[Pivot]));
        assert!(ActionSet::of(&[Pivot]).is_subset(a));
        assert!(!b.is_subset(a));
        assert_eq!(a.iter().collect::<Vec<_>>(), vec![Explore, Pivot, Clarify]);
    }
}
