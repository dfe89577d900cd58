//! An instance as an entity of the actor runtime, and the store as its journal.
//!
//! Tenant isolation inside the actor: the registry finds actors by instance id alone,
//! so every command carries the caller's account and the instance refuses (as "not
//! found") any other account before looking at anything else, throttle included.

use std::num::NonZeroU64;
use std::sync::Arc;
use std::time::SystemTime;

use actors::{Entity, Journal, Outcome};

use crate::cluster::Cluster;
use crate::engine::{EngineVersion, Profile, ResetTarget};
use crate::ids::{AccountId, InstanceId};
use crate::store::{Append, Store, StoreError};
use crate::timestamp::Timestamp;

use super::{CycleView, Input, Instance, InstanceError};

/// What a request asks of an instance's actor.
pub enum Command {
    /// One observation or a batch: a cycle command, subject to the throttle.
    Process {
        account: AccountId,
        inputs: Vec<Input>,
        keep_intermediate: bool,
        /// `engine.snapshot_every` when the call was made (a live setting).
        snapshot_every: u32,
    },
    /// The current state.
    Read { account: AccountId },
    Reset {
        account: AccountId,
        target: ResetTarget,
    },
    /// Take a personality test's profile as the new state (recorded like a reset).
    Adopt {
        account: AccountId,
        /// Boxed: the largest variant sizes every command, and commands sit in every
        /// resident actor's task (inline it cost ≈ 150 bytes per resident instance).
        profile: Box<Profile>,
    },
    /// The three below follow a change of the instance's row, made at `updated_at`.
    SetStopped {
        account: AccountId,
        stopped: bool,
        updated_at: Timestamp,
    },
    /// Metadata was patched (the cycle cap is the part the instance enforces).
    SetMeta {
        account: AccountId,
        cap: Option<u64>,
        updated_at: Timestamp,
    },
    SetEngineVersion {
        account: AccountId,
        version: EngineVersion,
        updated_at: Timestamp,
    },
}

impl Command {
    fn account(&self) -> &AccountId {
        match self {
            Command::Process { account, .. }
            | Command::Read { account }
            | Command::Reset { account, .. }
            | Command::Adopt { account, .. }
            | Command::SetStopped { account, .. }
            | Command::SetMeta { account, .. }
            | Command::SetEngineVersion { account, .. } => account,
        }
    }

    /// When the command's change of the instance's row was made, for those that follow one.
    fn updated_at(&self) -> Option<Timestamp> {
        match self {
            Command::SetStopped { updated_at, .. }
            | Command::SetMeta { updated_at, .. }
            | Command::SetEngineVersion { updated_at, .. } => Some(*updated_at),
            _ => None,
        }
    }
}

/// An instance's answer.
#[derive(Debug)]
pub struct Reply {
    /// The states to answer with: every cycle of a batch with `include_intermediate`,
    /// else one.
    pub views: Vec<CycleView>,
    /// True when the throttle refused the processing call (nothing changed).
    pub throttled: bool,
    /// Lifetime cycles after the command.
    pub cycle_count: u64,
    /// When the newest cycle was recorded (`None` before the first).
    pub last_cycle_at: Option<Timestamp>,
    pub created_at: Timestamp,
    /// The row's last change as the instance knows it.
    pub updated_at: Timestamp,
}

/// Why an instance refused a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Another account's instance: indistinguishable from a missing one.
    NotFound,
    Instance(InstanceError),
}

impl Entity for Instance {
    type Id = InstanceId;
    type Command = Command;
    type Reply = Reply;
    type Error = Refusal;
    type Effect = Append;
    type Group = AccountId;

    fn id(&self) -> &InstanceId {
        &self.id
    }

    /// Counted per account; a stopped instance lists as stopped, never as active (the
    /// stop and start routes passivate it, so that it is counted anew on activation).
    fn group(&self) -> Option<AccountId> {
        (!self.stopped).then(|| self.account.clone())
    }

    fn admit(&self, command: &Command) -> Result<bool, Refusal> {
        if command.account() != &self.account {
            return Err(Refusal::NotFound);
        }
        match command {
            Command::Process { .. } if self.stopped => {
                Err(Refusal::Instance(InstanceError::Stopped))
            }
            Command::Process { .. } => Ok(true),
            _ => Ok(false),
        }
    }

    fn throttled(&self, _: Command) -> Reply {
        self.reply(vec![self.current()], true)
    }

    fn handle(
        &mut self,
        command: Command,
        now: SystemTime,
    ) -> Result<Outcome<Reply, Append>, Refusal> {
        if let Some(at) = command.updated_at() {
            self.touch(at);
        }
        let (views, effect, cycled) = match command {
            Command::Process {
                inputs,
                keep_intermediate,
                snapshot_every,
                ..
            } => {
                let processed = self
                    .process(
                        &inputs,
                        Timestamp::from(now),
                        keep_intermediate,
                        snapshot_every,
                    )
                    .map_err(Refusal::Instance)?;
                (processed.views, Some(processed.append), true)
            }
            Command::Read { .. } => (vec![self.current()], None, false),
            Command::Reset { target, .. } => {
                let append = self.reset(target);
                (vec![self.current()], Some(append), false)
            }
            Command::Adopt { profile, .. } => {
                let append = self.adopt(*profile);
                (vec![self.current()], Some(append), false)
            }
            Command::SetStopped { stopped, .. } => {
                self.set_stopped(stopped);
                (vec![self.current()], Some(self.flush()), false)
            }
            Command::SetMeta { cap, .. } => {
                self.set_cycle_cap(cap);
                (vec![self.current()], None, false)
            }
            Command::SetEngineVersion { version, .. } => {
                self.set_engine_version(version);
                (vec![self.current()], Some(self.flush()), false)
            }
        };
        Ok(Outcome {
            reply: self.reply(views, false),
            effect,
            cycled,
        })
    }

    /// A snapshot only over cycles not yet in one: an instance only read since its
    /// activation (or never cycled: its creation profile stands for it) writes nothing.
    fn passivate(&mut self) -> Option<Append> {
        (self.since_snapshot > 0).then(|| self.flush())
    }

    fn last_cycle_at(&self) -> Option<SystemTime> {
        self.last_cycle_at.map(Timestamp::to_system_time)
    }
}

impl Instance {
    fn reply(&self, views: Vec<CycleView>, throttled: bool) -> Reply {
        Reply {
            views,
            throttled,
            cycle_count: self.cycle_count(),
            last_cycle_at: self.last_cycle_at(),
            created_at: self.created_at(),
            updated_at: self.updated_at(),
        }
    }
}

/// The store as the runtime's journal: activation = newest snapshot + replay, effects
/// = appends through the group-commit writer.
pub struct StoreJournal {
    pub store: Store,
    /// Cluster mode: activation first claims the instance for the shard's epoch, and
    /// every append carries it (`store/fence.rs`).
    pub cluster: Option<Arc<Cluster>>,
}

impl Journal<Instance> for StoreJournal {
    type Error = StoreError;

    async fn load(&self, id: &InstanceId) -> Result<Instance, StoreError> {
        let fence = match &self.cluster {
            // The request path checked the shard; it may have moved since.
            Some(cluster) => {
                let fence = cluster.fence(id).map_err(|_| StoreError::Fenced)?;
                if !cluster.admit_activation() {
                    return Err(StoreError::Busy);
                }
                Some(fence)
            }
            None => None,
        };
        if let Some(fence) = &fence {
            self.store.claim(id, fence).await?;
        }
        let stored = self.store.load(id).await?;
        Instance::restore(stored).map_err(|e| {
            tracing::error!(instance = %id, error = %e, "stored history does not replay");
            StoreError::Corrupt(e.to_string())
        })
    }

    /// In cluster mode the append carries the epoch this node holds the instance's shard
    /// at. That is the epoch the actor was activated under: every end of a held epoch
    /// (lost, lapsed, handed over) evicts or passivates the shard's actors before the
    /// shard can be held again, and a shard not served refuses activations. Kept in the
    /// table rather than in each instance, whose every byte counts (8 KiB goal).
    async fn persist(&self, id: &InstanceId, mut append: Append) -> Result<(), StoreError> {
        if let Some(cluster) = &self.cluster {
            let epoch = cluster.held_epoch(id).and_then(NonZeroU64::new);
            append.epoch = Some(epoch.ok_or(StoreError::Fenced)?);
        }
        self.store.append(append).await
    }
}
