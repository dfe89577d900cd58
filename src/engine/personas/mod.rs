//! The product's twelve personas: reference profiles an instance can start from.

mod catalog;

use super::mode::{MODE_COUNT, Mode};
use super::state::{EngineState, Profile};
use super::unit::Unit;
use super::{Contract, Engine};

/// A documented persona. The numbers are ours (ENGINE.md B, "Personas").
#[derive(Debug, Clone, PartialEq)]
pub struct Persona {
    /// `persona_analytical` …
    pub id: &'static str,
    pub name: &'static str,
    pub summary: &'static str,
    /// The documented dominant pair, strongest first.
    pub dominant: [Mode; 2],
    /// Mode strengths in canonical order.
    pub profile: [f64; MODE_COUNT],
    pub energy: f64,
    /// How it tends to act in a few situations.
    pub expressions: &'static [Expression],
}

/// One situation and how a persona tends to act in it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct Expression {
    pub context: &'static str,
    pub behavior: &'static str,
}

/// All twelve, in the product's documented order.
pub fn all() -> &'static [Persona] {
    &catalog::CATALOG
}

/// The persona with this id.
pub fn get(id: &str) -> Option<&'static Persona> {
    all().iter().find(|p| p.id == id)
}

/// Every persona ranked by the L1 distance of its profile to `modes`, nearest first
/// (ties in catalogue order): which personas a state resembles now.
pub fn nearest(modes: &[f64; MODE_COUNT]) -> Vec<&'static Persona> {
    let distance = |p: &Persona| -> f64 {
        p.profile
            .iter()
            .zip(modes)
            .map(|(a, b)| (a - b).abs())
            .sum()
    };
    let mut ranked: Vec<&'static Persona> = all().iter().collect();
    ranked.sort_by(|a, b| distance(a).total_cmp(&distance(b)));
    ranked
}

impl Persona {
    /// The persona's profile as a starting point for an instance.
    pub fn starting_profile(&self) -> Profile {
        Profile {
            modes: self.profile.map(Unit::saturating),
            energy: Unit::saturating(self.energy),
        }
    }

    /// The contract `engine` derives from a fresh instance at this persona's profile.
    pub fn typical_contract(&self, engine: Engine) -> Contract {
        let state = EngineState::new(self.starting_profile());
        engine.contract(&engine.snapshot(&state, self.id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_personas_own_profile_is_nearest_to_it() {
        for p in all() {
            let ranked = nearest(&p.profile);
            assert_eq!(ranked[0].id, p.id);
            assert_eq!(ranked.len(), 12);
        }
    }

    #[test]
    fn the_twelve_documented_personas_with_their_dominant_pairs() {
        let ids: Vec<_> = all().iter().map(|p| p.id).collect();
        assert_eq!(
            ids,
            [
                "persona_analytical",
                "persona_creative",
                "persona_leader",
                "persona_supporter",
                "persona_explorer",
                "persona_guardian",
                "persona_philosopher",
                "persona_performer",
                "persona_scholar",
                "persona_diplomat",
                "persona_pioneer",
                "persona_catalyst"
            ]
        );
        for p in all() {
            assert!(
                p.profile
                    .iter()
                    .chain([&p.energy])
                    .all(|v| (0.0..=1.0).contains(v))
            );
            let mut ranked = Mode::ALL;
            ranked.sort_by(|a, b| p.profile[b.index()].total_cmp(&p.profile[a.index()]));
            assert_eq!(&ranked[..2], &p.dominant, "{}", p.id);
            assert!(p.expressions.len() >= 2, "{}", p.id);
            assert!(!p.summary.is_empty());
            assert_eq!(get(p.id), Some(p));
        }
        assert_eq!(get("persona_unknown"), None);
    }
}
