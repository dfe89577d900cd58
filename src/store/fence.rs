//! Fencing (cluster mode, `docs/cluster.md`): every write that concerns an instance
//! carries the epoch of the shard lease it is made under, in the same statement, so a
//! node that lost the shard writes nothing more.
//!
//! Two forms. Activation and the writes a handler makes to an instance's row *claim* it:
//! `owner_epoch <= e` and the lease row held by this node at `e`, read `FOR SHARE` in the
//! same statement, then `owner_epoch = e`. The share lock is what makes it a fence: a
//! takeover (which bumps the lease's epoch with an `UPDATE`) waits for the claim to
//! commit, and a claim blocked behind a takeover re-reads the lease afterwards and finds
//! it gone (an unlocked read of the lease row would let the old owner's write commit
//! after the new owner loaded the instance). The group commit of an actor's cycles then
//! only needs `owner_epoch = e` on the instance row (`commit.rs`): a newer activation
//! has raised it.

use std::sync::Arc;

/// The shard lease a write is made under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fence {
    pub shard: u16,
    pub epoch: u64,
    /// The node holding the lease (its generation-qualified id).
    pub node: Arc<str>,
}

impl Fence {
    /// The epoch as PostgreSQL stores it (acquisitions start at 1, far below i64::MAX).
    pub(crate) fn epoch_value(&self) -> i64 {
        i64::try_from(self.epoch).unwrap_or(i64::MAX)
    }
}

/// The additions to an `UPDATE instances` whose own parameters end at `$last`: what
/// to `SET` and the `WHERE` conditions of a claim, binding `$last+1` (epoch),
/// `$last+2` (shard), `$last+3` (node) — see [`bind_fence!`]. Empty without a fence.
pub(crate) fn claim_sql(fence: Option<&Fence>, last: usize) -> (String, String) {
    match fence {
        None => (String::new(), String::new()),
        Some(_) => {
            let (e, s, n) = (last + 1, last + 2, last + 3);
            (
                format!(", owner_epoch = ${e}"),
                format!(
                    " AND owner_epoch <= ${e} AND EXISTS (SELECT 1 FROM shard_lease \
                     WHERE shard_id = ${s} AND node_id = ${n} AND epoch = ${e} FOR SHARE)"
                ),
            )
        }
    }
}

/// Binds a fence's epoch, shard and node after a query's own parameters (nothing
/// without a fence), matching [`claim_sql`].
macro_rules! bind_fence {
    ($query:expr, $fence:expr) => {
        match $fence {
            Some(f) => $query
                .bind(f.epoch_value())
                .bind(i32::from(f.shard))
                .bind(f.node.as_ref()),
            None => $query,
        }
    };
}
pub(crate) use bind_fence;
