//! The instance runtime as the cluster sees it: actors grouped by shard.

use std::collections::HashSet;
use std::future::Future;
use std::pin::Pin;

use super::{Residents, shard_of};
use crate::instance::{Instance, StoreJournal};

impl Residents for actors::Runtime<Instance, StoreJournal> {
    fn evict(&self, shards: Vec<u16>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let shards: HashSet<u16> = shards.into_iter().collect();
        Box::pin(async move {
            self.evict_where(|id| shards.contains(&shard_of(id.as_str())))
                .await;
        })
    }

    fn passivate(&self, shards: Vec<u16>) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        let shards: HashSet<u16> = shards.into_iter().collect();
        Box::pin(async move {
            self.passivate_where(|id| shards.contains(&shard_of(id.as_str())))
                .await;
        })
    }
}
