//! Keeping HAProxy's shard map current (`config/haproxy/haproxy.cfg`): a node writes
//! `shard -> its name` into the map through HAProxy's runtime API for the shards it
//! acquires, and all of its shards again periodically (a restarted HAProxy starts from
//! the empty map file). It never deletes an entry: the node that takes a shard over
//! overwrites it, and until then HAProxy's stale choice is forwarded by the node it
//! reaches.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Commands per connection: HAProxy reads one line of at most its buffer size (16 KiB).
const PER_LINE: usize = 200;
const TIMEOUT: Duration = Duration::from_secs(1);

pub struct MapWriter {
    /// The runtime API's `host:port`.
    admin: String,
    /// The map as HAProxy's configuration names it.
    map: String,
    /// This node's name: the HAProxy server the entries point at.
    name: String,
}

impl MapWriter {
    pub fn new(admin: String, map: String, name: String) -> MapWriter {
        MapWriter { admin, map, name }
    }

    /// Points `shards` at this node. Failures are logged: HAProxy's fallback still
    /// reaches a node that forwards, and the next resync repairs the map.
    pub async fn point_here(&self, shards: &[u16]) {
        for chunk in shards.chunks(PER_LINE) {
            // `set map` refuses a missing key and `add map` a present one.
            let line: Vec<String> = chunk
                .iter()
                .map(|s| {
                    let (map, name) = (&self.map, &self.name);
                    format!("del map {map} {s};add map {map} {s} {name}")
                })
                .collect();
            if let Err(e) = self.send(&(line.join(";") + "\n")).await {
                tracing::warn!(admin = %self.admin, error = %e, "updating HAProxy's shard map failed");
                return;
            }
        }
    }

    /// One connection, one line of commands; HAProxy answers and closes.
    async fn send(&self, line: &str) -> std::io::Result<()> {
        let exchange = async {
            let mut stream = TcpStream::connect(&self.admin).await?;
            stream.write_all(line.as_bytes()).await?;
            let mut answer = Vec::new();
            stream.read_to_end(&mut answer).await?;
            let answer = String::from_utf8_lossy(&answer);
            // "Key not found." answers the `del` of a new entry; anything else is news.
            if let Some(odd) = answer
                .lines()
                .map(str::trim)
                .find(|l| !l.is_empty() && *l != "Key not found." && !l.starts_with("0x"))
            {
                tracing::warn!(admin = %self.admin, answer = odd, "HAProxy refused a map update");
            }
            Ok(())
        };
        tokio::time::timeout(TIMEOUT, exchange)
            .await
            .map_err(|_| std::io::Error::other("timed out"))?
    }
}
