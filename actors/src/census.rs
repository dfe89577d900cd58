//! How many entities of each group (an account, for instances) are resident, and which
//! entities failed, kept as slots change state: a count per group costs a map lookup, and
//! the failed ones a walk over themselves, instead of a walk over the registry.
//!
//! A slot names its group by a `u32` index into this table rather than by the group
//! itself: the index fits in the slot's state beside the actor reference without making
//! it bigger, and memory per resident entity is the scarce resource. Groups are never
//! forgotten (there are few of them; an instance's account, not the instance).

use std::hash::Hash;
use std::sync::RwLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use dashmap::{DashMap, DashSet};

/// A group's index in the census.
pub(crate) type GroupIndex = u32;

/// The index of an entity that counts in no group (see [`crate::Entity::group`]).
pub(crate) const NOT_COUNTED: GroupIndex = GroupIndex::MAX;

pub(crate) struct Census<G, Id> {
    index: DashMap<G, GroupIndex>,
    resident: RwLock<Vec<AtomicUsize>>,
    failed: DashSet<Id>,
}

impl<G: Eq + Hash, Id: Eq + Hash> Default for Census<G, Id> {
    fn default() -> Self {
        Census {
            index: DashMap::new(),
            resident: RwLock::default(),
            failed: DashSet::new(),
        }
    }
}

impl<G: Eq + Hash + Clone, Id: Eq + Hash + Clone> Census<G, Id> {
    /// The index of `group`, added on first sight.
    pub(crate) fn index_of(&self, group: &G) -> GroupIndex {
        if let Some(index) = self.index.get(group) {
            return *index;
        }
        *self.index.entry(group.clone()).or_insert_with(|| {
            let mut resident = self.resident.write().unwrap_or_else(|e| e.into_inner());
            resident.push(AtomicUsize::new(0));
            // Past 4 billion groups in one process, the rest count in none.
            GroupIndex::try_from(resident.len() - 1).unwrap_or(NOT_COUNTED)
        })
    }

    /// Counts one more (`up`) or one fewer resident entity in group `index`.
    pub(crate) fn shift(&self, index: GroupIndex, up: bool) {
        let resident = self.resident.read().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = resident.get(index as usize) {
            if up {
                count.fetch_add(1, Ordering::AcqRel);
            } else {
                count.fetch_sub(1, Ordering::AcqRel);
            }
        }
    }

    /// How many entities of `group` are resident now.
    pub(crate) fn resident_in(&self, group: &G) -> usize {
        let Some(index) = self.index.get(group).map(|i| *i) else {
            return 0;
        };
        let resident = self.resident.read().unwrap_or_else(|e| e.into_inner());
        resident
            .get(index as usize)
            .map_or(0, |count| count.load(Ordering::Acquire))
    }

    pub(crate) fn mark_failed(&self, id: &Id, failed: bool) {
        if failed {
            self.failed.insert(id.clone());
        } else {
            self.failed.remove(id);
        }
    }

    pub(crate) fn failed(&self) -> Vec<Id> {
        self.failed.iter().map(|id| id.clone()).collect()
    }
}
