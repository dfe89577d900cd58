//! The node's lease keeper: one task that renews, takes over, hands off and leaves.
//!
//! - Every `renew_interval`: heartbeat and renewal of all held shards in one statement
//!   (`leases.rs`). Validity runs from the moment it was sent. A held shard the renewal
//!   does not return was taken over: its actors are evicted. A shard whose validity ran
//!   out (renewals failing, the database unreachable) stops being served the same way.
//! - Every `scan_interval`: the lease table and the live nodes. A free or expired shard
//!   is taken at once by the live node rendezvous hashing prefers, by the others only
//!   `takeover_delay` after it lapsed; at most `acquire_per_second`. A held shard that
//!   another live, non-draining node prefers (it joined) is handed over, at most
//!   `release_per_second`: served no more, its actors passivated (snapshots written
//!   under the still-valid lease), then released, so the preferred node takes it on its
//!   next scan.
//! - With HAProxy in front (`haproxy.rs`): acquired shards are pointed at this node in
//!   HAProxy's map at once, and all held ones every ten renewals.
//! - On shutdown ([`Cluster::leave`], while renewals go on): marked draining, every held
//!   shard handed over the same way; then the loop stops and removes the node's row.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use std::time::Duration;

use sqlx::postgres::PgListener;
use tokio::time::{Instant, MissedTickBehavior, interval};

use super::leases::CHANNEL;
use super::shard::preferred;
use super::table::millis;
use super::{Cluster, Residents, display_name};
use crate::http::shutdown::Shutdown;

/// Keeps the leases until `stop` (which the server fires after [`Cluster::leave`]: the
/// leases must stay valid while the node drains and hands its shards over), then
/// removes the node's row.
pub async fn run(cluster: Arc<Cluster>, residents: Arc<dyn Residents>, stop: Shutdown) {
    let mut renew = interval(cluster.timing.renew_interval);
    let mut scan = interval(cluster.timing.scan_interval);
    renew.set_missed_tick_behavior(MissedTickBehavior::Delay);
    scan.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut housekeeping = 0u32;
    let mut announcements = listen(&cluster).await;
    loop {
        tokio::select! {
            // Another node took or released shards: look now rather than at the next scan.
            announced = next_announcement(&mut announcements) => {
                if !announced {
                    tokio::time::sleep(cluster.timing.scan_interval).await;
                }
                cluster.scan(residents.as_ref()).await;
            }
            _ = renew.tick() => {
                if !cluster.renew(residents.as_ref()).await {
                    // PostgreSQL away: try again soon, so that service is back within a
                    // fraction of a second of its return, not a whole interval.
                    renew.reset_after(RETRY);
                }
                housekeeping = housekeeping.wrapping_add(1);
                if housekeeping.is_multiple_of(10) {
                    cluster.point_haproxy_here(None).await;
                }
                if housekeeping.is_multiple_of(600) && let Err(e) = cluster.leases.forget_dead().await {
                    tracing::warn!(error = %e, "forgetting dead cluster nodes failed");
                }
            }
            _ = scan.tick() => cluster.scan(residents.as_ref()).await,
            () = stop.wait() => break,
        }
    }
    // Only now: a renewal after this would write the heartbeat back.
    if let Err(e) = cluster.leases.leave().await {
        tracing::warn!(error = %e, "leaving the cluster failed");
    }
}

/// How soon a failed renewal is tried again.
const RETRY: Duration = Duration::from_millis(200);

/// A subscription to the announcements of shard changes; without one (it failed),
/// the scan's polling alone keeps the table current.
async fn listen(cluster: &Cluster) -> Option<PgListener> {
    let subscribed = async {
        let mut listener = PgListener::connect_with(cluster.leases.pool()).await?;
        listener.listen(CHANNEL).await?;
        Ok::<_, sqlx::Error>(listener)
    };
    match subscribed.await {
        Ok(listener) => Some(listener),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for shard changes; polling only");
            None
        }
    }
}

/// Waits for the next announcement: true when one came, false when the subscription
/// failed (the listener reconnects on its next call). Never resolves without one.
async fn next_announcement(listener: &mut Option<PgListener>) -> bool {
    match listener {
        Some(l) => match l.recv().await {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, "listening for shard changes failed");
                false
            }
        },
        None => std::future::pending().await,
    }
}

impl Cluster {
    /// Renews every held lease; false when the statement failed.
    async fn renew(&self, residents: &dyn Residents) -> bool {
        let held = self.table.held();
        let sent = self.table.now();
        let mut renewed = true;
        let deadline = self
            .timing
            .validity
            .saturating_sub(self.timing.renew_interval);
        match tokio::time::timeout(deadline, self.leases.renew(&held)).await {
            Ok(Ok(shards)) => {
                let valid_until = sent + millis(self.timing.validity);
                let shards: HashSet<u16> = shards.into_iter().collect();
                let mut lost = Vec::new();
                for (shard, epoch) in held {
                    if shards.contains(&shard) {
                        self.table.extend(shard, epoch, valid_until);
                    } else {
                        self.table.drop_shard(shard);
                        lost.push(shard);
                    }
                }
                if !lost.is_empty() {
                    tracing::warn!(shards = lost.len(), "shards lost to another node");
                    metrics::counter!("identity_os_cluster_shards_lost_total")
                        .increment(lost.len() as u64);
                    residents.evict(lost).await;
                }
            }
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "lease renewal failed");
                renewed = false;
            }
            Err(_) => {
                tracing::warn!("lease renewal timed out");
                renewed = false;
            }
        }
        // Not dropped: the next renewal that finds the lease still ours (PostgreSQL back
        // before anyone took it) revives the shard at once.
        let lapsed = self.table.lapsed();
        if !lapsed.is_empty() {
            tracing::warn!(
                shards = lapsed.len(),
                "lease validity ran out: serving them no more"
            );
            residents.evict(lapsed).await;
        }
        metrics::gauge!("identity_os_cluster_shards_owned").set(self.table.held().len() as f64);
        renewed
    }

    async fn scan(&self, residents: &dyn Residents) {
        let (rows, nodes) = match tokio::join!(self.leases.shards(), self.leases.live_nodes()) {
            (Ok(rows), Ok(nodes)) => (rows, nodes),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "reading the lease table failed");
                return;
            }
        };
        let mut owners = vec![None; usize::from(super::SHARDS)];
        for row in &rows {
            if let Some(slot) = owners.get_mut(usize::from(row.shard)) {
                *slot = row.node.clone().filter(|_| row.lapsed_ms < 0);
            }
        }
        let addrs = nodes
            .iter()
            .map(|n| (n.node.clone(), n.addr.clone()))
            .collect();
        self.table.set_owners(owners, addrs);
        // This node counts as live from its first scan, before its heartbeat lands, and
        // not at all once it is leaving (it would take back what it hands over).
        let leaving = self.leaving.load(Ordering::Acquire);
        let mut candidates: Vec<&str> = nodes
            .iter()
            .filter(|n| !(n.draining || (leaving && n.node == self.node)))
            .map(|n| n.node.as_ref())
            .collect();
        if !leaving && !candidates.contains(&self.node.as_ref()) {
            candidates.push(&self.node);
        }
        let per_scan = |per_second: u32| {
            let n = u64::from(per_second) * millis(self.timing.scan_interval) / 1000;
            usize::try_from(n.max(1)).unwrap_or(usize::MAX)
        };
        let delay = i64::try_from(millis(self.timing.takeover_delay)).unwrap_or(i64::MAX);
        let held: HashSet<u16> = self.table.held().into_iter().map(|(s, _)| s).collect();
        let wanted: Vec<u16> = rows
            .iter()
            .filter(|_| !leaving)
            .filter(|r| !held.contains(&r.shard) && (r.node.is_none() || r.lapsed_ms >= 0))
            .filter(|r| {
                preferred(r.shard, candidates.iter().copied()) == Some(&*self.node)
                    || r.lapsed_ms >= delay
            })
            .map(|r| r.shard)
            .take(per_scan(self.timing.acquire_per_second))
            .collect();
        if !wanted.is_empty() {
            self.acquire(&wanted).await;
        }
        let to_hand_over: Vec<(u16, u64)> = self
            .table
            .held()
            .into_iter()
            .filter(|(s, _)| preferred(*s, candidates.iter().copied()) != Some(&*self.node))
            .take(per_scan(self.timing.release_per_second))
            .collect();
        if !to_hand_over.is_empty() {
            self.hand_over(to_hand_over, residents).await;
        }
    }

    async fn acquire(&self, shards: &[u16]) {
        let sent = self.table.now();
        match self.leases.acquire(shards).await {
            Ok(acquired) => {
                let valid_until = sent + millis(self.timing.validity);
                for (shard, epoch) in &acquired {
                    self.table.hold(*shard, *epoch, valid_until);
                }
                if !acquired.is_empty() {
                    tracing::info!(shards = acquired.len(), node = %self.name, "shards acquired");
                    metrics::counter!("identity_os_cluster_takeovers_total")
                        .increment(acquired.len() as u64);
                    self.announce().await;
                    let shards: Vec<u16> = acquired.iter().map(|(s, _)| *s).collect();
                    self.point_haproxy_here(Some(&shards)).await;
                }
            }
            Err(e) => tracing::warn!(error = %e, "acquiring shards failed"),
        }
    }

    /// Takes no new request for `shards`, writes their actors' snapshots (the requests
    /// under way answer first: they are ahead in the mailboxes), stops serving them and
    /// releases them.
    async fn hand_over(&self, shards: Vec<(u16, u64)>, residents: &dyn Residents) {
        for (shard, _) in &shards {
            self.table.close(*shard);
        }
        residents
            .passivate(shards.iter().map(|(s, _)| *s).collect())
            .await;
        for (shard, _) in &shards {
            self.table.drop_shard(*shard);
        }
        if let Err(e) = self.leases.release(&shards).await {
            tracing::warn!(error = %e, "releasing shards failed; they expire instead");
        }
        self.announce().await;
    }

    /// Points HAProxy's map at this node for `shards`, or for all it holds.
    async fn point_haproxy_here(&self, shards: Option<&[u16]>) {
        let Some(map) = &self.haproxy else { return };
        match shards {
            Some(shards) => map.point_here(shards).await,
            None => {
                let held: Vec<u16> = self.table.held().into_iter().map(|(s, _)| s).collect();
                map.point_here(&held).await;
            }
        }
    }

    async fn announce(&self) {
        if let Err(e) = self.leases.announce().await {
            tracing::warn!(error = %e, "announcing a change of shards failed");
        }
    }

    /// Leaves the cluster: draining (no node prefers this one), every shard handed
    /// over; the node's row goes when the coordinator stops. Called once the node
    /// serves no more requests.
    pub async fn leave(&self, residents: &dyn Residents) {
        let started = Instant::now();
        self.leaving.store(true, Ordering::Release);
        if let Err(e) = self.leases.set_draining().await {
            tracing::warn!(error = %e, "marking the node draining failed");
        }
        let held = self.table.held();
        let count = held.len();
        self.hand_over(held, residents).await;
        tracing::info!(
            node = display_name(&self.node),
            shards = count,
            elapsed_ms = millis(started.elapsed()),
            "left the cluster, shards handed over"
        );
        // Still listening for two scans: a peer that forwards by a table not yet told of
        // the releases (NOTIFY, else its next scan) gets a 421 and asks the lease table,
        // where a closed connection would leave a write's outcome unknown.
        tokio::time::sleep(self.timing.scan_interval * 2).await;
    }
}
