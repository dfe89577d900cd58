//! How many cycles make a snapshot due (`engine.snapshot_every`): one value shared by the
//! journal and every instance, so that a reload's new cadence applies to resident
//! instances at their next cycle, not only to those activated later.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

#[derive(Debug, Clone)]
pub struct SnapshotEvery(Arc<AtomicU32>);

impl SnapshotEvery {
    pub fn new(cycles: u64) -> SnapshotEvery {
        SnapshotEvery(Arc::new(AtomicU32::new(clamp(cycles))))
    }

    /// Changes the cadence for every instance sharing it.
    pub fn set(&self, cycles: u64) {
        self.0.store(clamp(cycles), Ordering::Relaxed);
    }

    pub fn get(&self) -> u32 {
        self.0.load(Ordering::Relaxed)
    }
}

/// At least 1; a cadence beyond `u32::MAX` cycles is never reached anyway.
fn clamp(cycles: u64) -> u32 {
    u32::try_from(cycles.max(1)).unwrap_or(u32::MAX)
}

impl From<u64> for SnapshotEvery {
    fn from(cycles: u64) -> SnapshotEvery {
        SnapshotEvery::new(cycles)
    }
}

/// Instances compare by state; two cadences are equal when their values are.
impl PartialEq for SnapshotEvery {
    fn eq(&self, other: &SnapshotEvery) -> bool {
        self.get() == other.get()
    }
}
