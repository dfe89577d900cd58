//! How long a fault kept a node's instances away: each instance whose shard the node
//! held is read every 100 ms from the moment of the fault until it answers, so the
//! figure is the outage itself, not the gap until the traffic happened to ask again.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::client::{Call, Client};
use crate::each::each;

/// The instances among `ids` whose shard `node` holds now (crc32 of the id mod 1 024,
/// as the nodes and HAProxy compute it).
pub async fn held_by(pool: &PgPool, node: &str, ids: &[String]) -> Result<Vec<String>, String> {
    let shards: Vec<i32> = sqlx::query_scalar(
        "SELECT shard_id FROM shard_lease WHERE split_part(node_id, '/', 1) = $1",
    )
    .bind(node)
    .fetch_all(pool)
    .await
    .map_err(|e| format!("reading the leases: {e}"))?;
    Ok(ids
        .iter()
        .filter(|id| {
            let shard = (crc32fast::hash(id.as_bytes()) % 1024) as i32;
            shards.contains(&shard)
        })
        .cloned()
        .collect())
}

/// What the probes saw.
#[derive(Debug, Default)]
pub struct Probed {
    /// Per instance, the milliseconds until it answered 200 (`None`: not within a
    /// minute).
    pub served_ms: Vec<Option<f64>>,
    /// The other answers on the way, by status (0: no node answered: none came, or, for
    /// a read sent within [`IN_FLIGHT`] of the fault, HAProxy's 502 for a connection the
    /// failed node took down with it).
    pub refusals: BTreeMap<u16, usize>,
}

/// How long after a fault HAProxy may still send a read to the failed node (its health
/// checks mark a node down after two failures 500 ms apart, the first within a second).
const IN_FLIGHT: Duration = Duration::from_secs(2);

/// Reads each of `ids` every 100 ms from `since` until it answers 200.
pub async fn until_served(client: &Client, ids: Vec<String>, since: Instant) -> Probed {
    let outcome = each(ids, 64, |id| {
        let client = client.clone();
        async move {
            let call = Call::get(format!("/v1/instances/{id}/snapshot"));
            let mut refusals = Vec::new();
            while since.elapsed() < Duration::from_secs(60) {
                let in_flight = since.elapsed() < IN_FLIGHT;
                let answered =
                    tokio::time::timeout(Duration::from_secs(5), client.send(&call)).await;
                match answered {
                    Ok(Ok(a)) if a.status.as_u16() == 200 => {
                        return Ok((Some(since.elapsed().as_secs_f64() * 1e3), refusals));
                    }
                    Ok(Ok(a)) if a.status.as_u16() == 502 && in_flight => refusals.push(0),
                    Ok(Ok(a)) => refusals.push(a.status.as_u16()),
                    _ => refusals.push(0),
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Ok((None, refusals))
        }
    })
    .await;
    let mut probed = Probed::default();
    for (served, refusals) in outcome.unwrap_or_default() {
        probed.served_ms.push(served);
        for status in refusals {
            *probed.refusals.entry(status).or_default() += 1;
        }
    }
    probed
}
