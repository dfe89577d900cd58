//! Instance ids to shards, and which node a shard prefers.

/// Shards in a cluster, fixed forever: the shard of an instance never changes.
pub const SHARDS: u16 = 1024;

/// The shard of an instance id: crc32 (IEEE) of the id's bytes modulo 1 024, exactly what
/// HAProxy's `crc32,mod(1024)` converters compute, so the load balancer and the nodes
/// agree on it.
pub fn shard_of(id: &str) -> u16 {
    // The remainder is below 1 024.
    (crc32fast::hash(id.as_bytes()) % u32::from(SHARDS)) as u16
}

/// The node rendezvous hashing (highest random weight) prefers for `shard` among
/// `nodes`: each node scores every shard independently, so removing a node moves only
/// the shards it preferred, and adding one takes an even share from every other.
pub fn preferred<'a>(shard: u16, nodes: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    nodes
        .into_iter()
        .max_by_key(|node| (score(node, shard), *node))
}

/// A well-mixed 64-bit score of (node, shard): crc32 of the name seeds a splitmix64
/// finaliser together with the shard.
fn score(node: &str, shard: u16) -> u64 {
    let mut z = (u64::from(crc32fast::hash(node.as_bytes())) << 16 | u64::from(shard))
        .wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_haproxys_crc32_modulo_1024() {
        // crc32("123456789") = 0xCBF43926 = 3421780262, the IEEE check value.
        assert_eq!(shard_of("123456789"), (3_421_780_262u32 % 1024) as u16);
        assert!((0..10_000).all(|i| shard_of(&format!("inst_{i:016x}")) < SHARDS));
    }

    #[test]
    fn rendezvous_spreads_shards_and_moves_only_a_removed_nodes_share() {
        let three = ["n1", "n2", "n3"];
        let mut counts = [0usize; 3];
        for shard in 0..SHARDS {
            let owner = preferred(shard, three).unwrap_or_default();
            counts[three.iter().position(|n| *n == owner).unwrap_or(0)] += 1;
        }
        assert!(counts.iter().all(|c| (250..=430).contains(c)), "{counts:?}");
        for shard in 0..SHARDS {
            let before = preferred(shard, three);
            let after = preferred(shard, ["n1", "n2"]);
            if before != Some("n3") {
                assert_eq!(before, after, "shard {shard} moved though its node stayed");
            }
        }
    }
}
