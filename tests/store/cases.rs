//! The behaviours every backend must have. Each case gets a fresh, empty store.

use std::collections::BTreeMap;
use std::num::NonZeroU64;
use std::time::Duration;

use identity_os::cluster::shard_of;

use identity_os::engine::{
    DriftLevel, Dt, Engine, EngineState, EngineVersion, Mode, Observation, Profile, StressState,
    Unit,
};
use identity_os::ids::{AccountId, InstanceId, KeyId};
use identity_os::store::{
    Append, CycleRecord, DriftRecord, Fence, HistoryEntry, InstanceFilter, InstanceMeta,
    InstanceRecord, Keys, NewInstance, Page, Paged, SnapshotRecord, SortKey, Store, StoreError,
    Summary,
};
use identity_os::timestamp::Timestamp;

const ENGINE: Engine = Engine::latest();
/// 2026-11-23T00:00:00Z.
const T0: i64 = 1_795_392_000_000_000;

fn at(secs: i64) -> Timestamp {
    Timestamp::from_micros(T0 + secs * 1_000_000)
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

async fn account(store: &Store) -> AccountId {
    let id = AccountId::generate();
    ok(store.create_account(&id, "pro", at(0)).await);
    id
}

fn meta(name: &str, user: Option<&str>) -> InstanceMeta {
    InstanceMeta {
        name: name.to_owned(),
        description: format!("{name} test instance"),
        user: user.map(str::to_owned),
        metadata: BTreeMap::from([("team".to_owned(), "qa".to_owned())]),
        cycle_cap: None,
    }
}

/// An instance as a runtime would drive it: state in memory, cycles appended.
#[derive(Clone)]
struct Driven {
    id: InstanceId,
    account: AccountId,
    state: EngineState,
    seq: u64,
    /// The shard epoch its appends carry (cluster mode).
    epoch: Option<NonZeroU64>,
}

impl Driven {
    async fn create(store: &Store, account: &AccountId, name: &str, created: i64) -> Driven {
        Driven::create_under(store, account, InstanceId::generate(), name, None, created).await
    }

    /// Created under `fence` (cluster mode): its appends carry the fence's epoch.
    async fn create_under(
        store: &Store,
        account: &AccountId,
        id: InstanceId,
        name: &str,
        fence: Option<&Fence>,
        created: i64,
    ) -> Driven {
        let state = EngineState::default();
        let new = NewInstance {
            id,
            account_id: account.clone(),
            meta: meta(name, None),
            persona: None,
            engine_version: EngineVersion::LATEST,
            profile: Profile::DEFAULT,
            created_at: at(created),
        };
        ok(store.create_instance(&new, fence).await);
        Driven {
            id: new.id,
            account: account.clone(),
            state,
            seq: 0,
            epoch: fence.and_then(|f| NonZeroU64::new(f.epoch)),
        }
    }

    /// Steps the engine and returns the cycle records of `observations`.
    fn step(&mut self, observations: &[(Mode, f64)], when: i64) -> Vec<CycleRecord> {
        observations
            .iter()
            .map(|(mode, signal)| {
                let o = Observation::new(*mode, unit(*signal), unit(0.9));
                let dt = 1.25;
                let drift = ENGINE.step(&mut self.state, o, Dt::from_secs(dt));
                self.seq += 1;
                let snapshot = ENGINE.snapshot(&self.state, self.id.as_str());
                CycleRecord {
                    entry: HistoryEntry {
                        seq: self.seq,
                        cycle: self.state.cycle,
                        observation: o,
                        dt,
                        context: format!(r#"{{"turn":{}}}"#, self.seq),
                        observed_at: Some(at(when - 1)),
                        recorded_at: at(when),
                        summary: Summary {
                            energy_level: snapshot.energy_level,
                            stress_state: snapshot.stress_state,
                            stability_index: snapshot.stability_index,
                        },
                    },
                    drift: (drift.level() != DriftLevel::D0).then(|| DriftRecord {
                        level: drift.level(),
                        magnitude: drift.magnitude(),
                        deviation: drift.deviation().to_string(),
                        affected_modes: drift.affected_modes().iter().collect(),
                        rolled_back: drift.rolled_back(),
                    }),
                }
            })
            .collect()
    }

    fn snapshot(&self, when: i64) -> SnapshotRecord {
        let s = ENGINE.snapshot(&self.state, self.id.as_str());
        SnapshotRecord {
            seq: self.seq,
            state: self.state,
            last_cycle_at: Some(at(when)),
            summary: Summary {
                energy_level: s.energy_level,
                stress_state: s.stress_state,
                stability_index: s.stability_index,
            },
        }
    }

    /// Steps through `observations` and wraps their cycles in an append.
    fn turn(&mut self, observations: &[(Mode, f64)], when: i64) -> Append {
        let cycles = self.step(observations, when);
        self.append(cycles, None)
    }

    fn append(&self, cycles: Vec<CycleRecord>, snapshot: Option<SnapshotRecord>) -> Append {
        Append {
            instance_id: self.id.clone(),
            account_id: self.account.clone(),
            cycles,
            snapshot,
            epoch: self.epoch,
        }
    }
}

fn unit(x: f64) -> Unit {
    ok(Unit::new(x))
}

fn page(limit: u32, offset: u64) -> Page {
    Page {
        limit,
        offset,
        after: None,
    }
}

/// The first `limit` of the account's instances, newest first, unfiltered.
async fn newest_first(store: &Store, account: &AccountId, limit: u32) -> Paged<InstanceRecord> {
    ok(store
        .list_instances(
            account,
            &InstanceFilter::default(),
            SortKey::CreatedAt,
            true,
            page(limit, 0),
        )
        .await)
}

pub async fn created_instances_read_back_per_account(store: &Store) {
    let a = account(store).await;
    let b = account(store).await;
    let mut modes = [unit(0.5); 7];
    modes[Mode::Order.index()] = unit(0.9);
    modes[Mode::Connection.index()] = unit(2.0 / 3.0);
    let profile = Profile {
        modes,
        energy: unit(0.6),
    };
    let state = EngineState::new(profile);
    let new = NewInstance {
        id: InstanceId::generate(),
        account_id: a.clone(),
        meta: InstanceMeta {
            cycle_cap: Some(500),
            ..meta("Aria", Some("user-7"))
        },
        persona: Some("persona_guardian".into()),
        engine_version: EngineVersion::V1,
        profile,
        created_at: at(10),
    };
    let created = ok(store.create_instance(&new, None).await);
    assert_eq!(created.id, new.id);
    assert_eq!(created.meta, new.meta);
    assert_eq!(created.persona.as_deref(), Some("persona_guardian"));
    assert_eq!(created.engine_version, EngineVersion::V1);
    assert_eq!((created.created_at, created.updated_at), (at(10), at(10)));
    assert_eq!(created.cycle_count, 0);
    assert!(!created.stopped);
    assert_eq!(created.summary.energy_level, 0.6);
    assert_eq!(created.summary.stress_state, ENGINE.stress_state(&state));
    assert_eq!(ok(store.get_instance(&a, &new.id).await), created);
    // Before its first snapshot an instance starts from its creation profile, exactly.
    let loaded = ok(store.load(&new.id).await);
    assert_eq!(
        (loaded.snapshot.seq, loaded.snapshot.last_cycle_at),
        (0, None)
    );
    assert_eq!(loaded.snapshot.state, state);
    assert_eq!(
        loaded.snapshot.state.modes.map(f64::to_bits),
        state.modes.map(f64::to_bits)
    );
    assert_eq!(loaded.snapshot.summary, created.summary);
    assert_eq!(loaded.record, created);
    // Another account's key sees nothing: not found, never forbidden.
    assert!(matches!(
        store.get_instance(&b, &new.id).await,
        Err(StoreError::NotFound)
    ));
    let theirs = newest_first(store, &b, 20).await;
    assert_eq!(theirs.total, 0);
    assert!(matches!(
        store.get_instance(&a, &InstanceId::generate()).await,
        Err(StoreError::NotFound)
    ));
    // The id is the primary key: a second create with it fails.
    assert!(matches!(
        store.create_instance(&new, None).await,
        Err(StoreError::Conflict(_))
    ));
}

pub async fn lists_sort_filter_and_page(store: &Store) {
    let a = account(store).await;
    let names = ["delta", "alpha", "charlie", "bravo", "echo"];
    let mut ids = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let user = if i % 2 == 0 {
            Some("even")
        } else {
            Some("odd")
        };
        let new = NewInstance {
            id: InstanceId::generate(),
            account_id: a.clone(),
            meta: meta(name, user),
            persona: None,
            engine_version: EngineVersion::LATEST,
            profile: Profile::DEFAULT,
            created_at: at(i as i64),
        };
        ok(store.create_instance(&new, None).await);
        ids.push(new.id);
    }
    let all = InstanceFilter::default();
    let newest = ok(store
        .list_instances(&a, &all, SortKey::CreatedAt, true, page(2, 0))
        .await);
    assert_eq!(newest.total, 5);
    let got: Vec<_> = newest.items.iter().map(|r| r.meta.name.as_str()).collect();
    assert_eq!(got, ["echo", "bravo"]);
    let next = ok(store
        .list_instances(&a, &all, SortKey::CreatedAt, true, page(2, 2))
        .await);
    let got: Vec<_> = next.items.iter().map(|r| r.meta.name.as_str()).collect();
    assert_eq!(got, ["charlie", "alpha"]);
    let by_name = ok(store
        .list_instances(&a, &all, SortKey::Name, false, page(10, 0))
        .await);
    let got: Vec<_> = by_name.items.iter().map(|r| r.meta.name.as_str()).collect();
    assert_eq!(got, ["alpha", "bravo", "charlie", "delta", "echo"]);
    let past_end = ok(store
        .list_instances(&a, &all, SortKey::Name, false, page(10, 9))
        .await);
    assert!(past_end.items.is_empty());
    assert_eq!(past_end.total, 5);

    let even = InstanceFilter {
        user: Some("even".into()),
        ..InstanceFilter::default()
    };
    let got = ok(store
        .list_instances(&a, &even, SortKey::Name, false, page(10, 0))
        .await);
    let names: Vec<_> = got.items.iter().map(|r| r.meta.name.as_str()).collect();
    assert_eq!((names, got.total), (vec!["charlie", "delta", "echo"], 3));

    ok(store.set_stopped(&a, &ids[1], true, at(50), None).await);
    let stopped = InstanceFilter {
        stopped: Some(true),
        ..InstanceFilter::default()
    };
    let got = ok(store
        .list_instances(&a, &stopped, SortKey::Name, false, page(10, 0))
        .await);
    assert_eq!(
        got.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        vec![ids[1].clone()]
    );
    let running = InstanceFilter {
        user: Some("odd".into()),
        stopped: Some(false),
        ..InstanceFilter::default()
    };
    let got = ok(store
        .list_instances(&a, &running, SortKey::Name, false, page(10, 0))
        .await);
    assert_eq!(
        got.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        vec![ids[3].clone()]
    );

    // Among given ids (the runtime's resident ones): only those, under the other
    // filters, their total counted over them; an id of another account or unknown is
    // no match.
    let other = account(store).await;
    let theirs = NewInstance {
        id: InstanceId::generate(),
        account_id: other.clone(),
        meta: meta("theirs", None),
        persona: None,
        engine_version: EngineVersion::LATEST,
        profile: Profile::DEFAULT,
        created_at: at(9),
    };
    ok(store.create_instance(&theirs, None).await);
    let among = InstanceFilter {
        stopped: Some(false),
        ids: Some(vec![
            ids[0].clone(),
            ids[1].clone(),
            ids[4].clone(),
            theirs.id.clone(),
            InstanceId::generate(),
        ]),
        ..InstanceFilter::default()
    };
    let got = ok(store
        .list_instances(&a, &among, SortKey::CreatedAt, true, page(1, 0))
        .await);
    assert_eq!(
        (
            got.items.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
            got.total,
            got.more
        ),
        (vec![ids[4].clone()], 2, true)
    );
    let nobody = InstanceFilter {
        ids: Some(Vec::new()),
        ..InstanceFilter::default()
    };
    let got = ok(store
        .list_instances(&a, &nobody, SortKey::Name, false, page(10, 0))
        .await);
    assert_eq!((got.items.len(), got.total), (0, 0));

    // The keys of a list alone, chunk after chunk from a position, as residency pages
    // walk it; then whole rows of the ones kept that the filter still covers (the
    // stopped one is not), in the list's order.
    let first = ok(store
        .list_instance_keys(&a, &all, SortKey::Name, false, None, 2)
        .await);
    assert_eq!(first.ids, [ids[1].clone(), ids[3].clone()]);
    let rest = ok(store
        .list_instance_keys(&a, &all, SortKey::Name, false, first.last.as_ref(), 10)
        .await);
    assert_eq!(rest.ids, [ids[2].clone(), ids[0].clone(), ids[4].clone()]);
    let newest = ok(store
        .list_instance_keys(&a, &running, SortKey::CreatedAt, true, None, 10)
        .await);
    assert_eq!(newest.ids, [ids[3].clone()]);
    let after_newest = ok(store
        .list_instance_keys(
            &a,
            &running,
            SortKey::CreatedAt,
            true,
            newest.last.as_ref(),
            10,
        )
        .await);
    assert_eq!(
        after_newest,
        Keys {
            ids: Vec::new(),
            last: None
        }
    );
    let running_any_tag = InstanceFilter {
        stopped: Some(false),
        ..InstanceFilter::default()
    };
    let kept = vec![ids[0].clone(), ids[4].clone(), ids[1].clone()];
    let got = ok(store
        .instances_in_order(&a, &running_any_tag, kept, SortKey::Name, true)
        .await);
    assert_eq!(
        got.iter().map(|r| r.meta.name.as_str()).collect::<Vec<_>>(),
        ["echo", "delta"]
    );
}

pub async fn appended_cycles_replay_after_the_newest_snapshot(store: &Store) {
    let a = account(store).await;
    let mut inst = Driven::create(store, &a, "replay", 0).await;
    let first = inst.step(&[(Mode::Exploration, 0.8), (Mode::Order, 0.3)], 5);
    ok(store.append(inst.append(first.clone(), None)).await);
    let loaded = ok(store.load(&inst.id).await);
    assert_eq!(loaded.snapshot.seq, 0);
    assert_eq!(loaded.snapshot.state, EngineState::default());
    assert_eq!(
        loaded.tail,
        first.iter().map(|c| c.entry.clone()).collect::<Vec<_>>()
    );

    // Replaying the tail from the snapshot reproduces the live state exactly.
    let mut replayed = loaded.snapshot.state;
    for entry in &loaded.tail {
        ENGINE.step(&mut replayed, entry.observation, Dt::from_secs(entry.dt));
    }
    assert_eq!(replayed, inst.state);

    let second = inst.step(&[(Mode::Connection, 1.0)], 9);
    let snap = inst.snapshot(9);
    ok(store.append(inst.append(second, Some(snap.clone()))).await);
    let third = inst.step(&[(Mode::Identity, 0.4)], 12);
    ok(store.append(inst.append(third.clone(), None)).await);
    let loaded = ok(store.load(&inst.id).await);
    assert_eq!(loaded.snapshot, snap);
    assert_eq!(loaded.tail, vec![third[0].entry.clone()]);
    assert_eq!(loaded.record.cycle_count, 4);
    // Unknown ids are not found.
    assert!(matches!(
        store.load(&InstanceId::generate()).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn engine_state_survives_storage_bit_for_bit(store: &Store) {
    let a = account(store).await;
    let mut inst = Driven::create(store, &a, "bits", 0).await;
    let mut cycles = Vec::new();
    for i in 0..40 {
        let mode = Mode::ALL[i % 7];
        cycles.extend(inst.step(&[(mode, (i as f64 * 0.173) % 1.0)], 1 + i as i64));
    }
    ok(store
        .append(inst.append(cycles, Some(inst.snapshot(41))))
        .await);
    let loaded = ok(store.load(&inst.id).await);
    let bits = |s: &EngineState| {
        let mut v: Vec<u64> = s
            .modes
            .iter()
            .chain(&s.baseline)
            .map(|x| x.to_bits())
            .collect();
        v.extend([s.energy, s.load, s.volatility].map(f64::to_bits));
        v
    };
    assert_eq!(bits(&loaded.snapshot.state), bits(&inst.state));
    assert_eq!(loaded.snapshot.state, inst.state);
}

pub async fn instance_summary_follows_the_newest_write(store: &Store) {
    let a = account(store).await;
    let mut inst = Driven::create(store, &a, "summary", 0).await;
    let cycles = inst.step(
        &[(Mode::StressResponse, 1.0), (Mode::StressResponse, 1.0)],
        3,
    );
    let last = cycles[1].entry.summary;
    ok(store.append(inst.append(cycles, None)).await);
    let record = ok(store.get_instance(&a, &inst.id).await);
    assert_eq!((record.cycle_count, record.summary), (2, last));
    assert_ne!(record.summary.stress_state, StressState::Low);

    // A reset writes a snapshot at the same seq: it is newer than the history row.
    ENGINE.reset(&mut inst.state, identity_os::engine::ResetTarget::Default);
    let reset = inst.snapshot(4);
    ok(store
        .append(inst.append(Vec::new(), Some(reset.clone())))
        .await);
    let record = ok(store.get_instance(&a, &inst.id).await);
    assert_eq!((record.cycle_count, record.summary), (2, reset.summary));
    assert_eq!(record.summary.stress_state, StressState::Low);
    // Lists show the same.
    let list = newest_first(store, &a, 5).await;
    assert_eq!(list.items[0].summary, reset.summary);
}

pub async fn a_duplicate_seq_fails_only_its_own_append(store: &Store) {
    let a = account(store).await;
    let mut x = Driven::create(store, &a, "x", 0).await;
    let mut y = Driven::create(store, &a, "y", 0).await;
    let x1 = x.step(&[(Mode::Perception, 0.5)], 1);
    ok(store.append(x.append(x1.clone(), None)).await);
    // Submitted together, so they may share one transaction: the replayed seq must fail
    // alone, and y's cycle must still commit.
    let y1 = y.step(&[(Mode::Perception, 0.5)], 1);
    let (dup, fine) = tokio::join!(
        store.append(x.append(x1, None)),
        store.append(y.append(y1, None))
    );
    assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
    ok(fine);
    assert_eq!(ok(store.history_page(&y.id, page(10, 0)).await).total, 1);
    assert_eq!(
        ok(store.history_page(&x.id, page(10, 0)).await).items.len(),
        1
    );
}

pub async fn concurrent_appends_leave_no_gaps(store: &Store) {
    let a = account(store).await;
    let mut tasks = Vec::new();
    for n in 0..24 {
        let mut inst = Driven::create(store, &a, &format!("load-{n}"), n).await;
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            for turn in 0..15i64 {
                let cycles = inst.step(&[(Mode::ALL[(turn % 7) as usize], 0.6)], turn);
                store.append(inst.append(cycles, None)).await?;
            }
            Ok::<_, StoreError>(inst)
        }));
    }
    for task in tasks {
        let inst = ok(ok(task.await));
        let history = ok(store.history_page(&inst.id, page(100, 0)).await);
        let seqs: Vec<u64> = history.items.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (1..=15).rev().collect::<Vec<_>>());
        let loaded = ok(store.load(&inst.id).await);
        let mut state = loaded.snapshot.state;
        for e in &loaded.tail {
            ENGINE.step(&mut state, e.observation, Dt::from_secs(e.dt));
        }
        assert_eq!(state, inst.state);
    }
}

/// Loads issued together share the loader's batches; each caller still gets exactly its
/// own instance (snapshot and the tail after it), and a deleted or unknown id in the same
/// batch fails only its own load.
pub async fn concurrent_loads_get_their_own_instance(store: &Store) {
    let a = account(store).await;
    let mut expected = Vec::new();
    for n in 0..40usize {
        let mut inst = Driven::create(store, &a, &format!("batch-{n}"), 0).await;
        // n cycles each; every third instance snapshots halfway, so tails start at
        // different seqs (and some instances have none).
        let observations: Vec<(Mode, f64)> = (0..n)
            .map(|turn| (Mode::ALL[(n + turn) % 7], 0.1 * (turn % 10) as f64))
            .collect();
        let (first, second) = observations.split_at(n / 2);
        let snapshot_seq = if n % 3 == 0 { first.len() as u64 } else { 0 };
        let cycles = inst.step(first, 1);
        let snapshot = (n % 3 == 0).then(|| inst.snapshot(1));
        ok(store.append(inst.append(cycles, snapshot)).await);
        let cycles = inst.step(second, 2);
        ok(store.append(inst.append(cycles, None)).await);
        expected.push((inst, snapshot_seq));
    }
    let deleted = expected.remove(7).0;
    ok(store.soft_delete(&a, &deleted.id, at(2), None).await);

    let mut loads = Vec::new();
    for id in expected.iter().map(|(inst, _)| inst.id.clone()).chain([
        deleted.id.clone(),
        InstanceId::generate(),
        InstanceId::generate(),
    ]) {
        let store = store.clone();
        loads.push(tokio::spawn(async move { store.load(&id).await }));
    }
    let mut results = Vec::new();
    for load in loads {
        results.push(ok(load.await));
    }
    for ((inst, snapshot_seq), loaded) in expected.iter().zip(&results) {
        let loaded = loaded
            .as_ref()
            .unwrap_or_else(|e| panic!("{}: {e}", inst.id));
        assert_eq!(loaded.record.id, inst.id);
        assert_eq!(
            loaded.snapshot.seq, *snapshot_seq,
            "{}",
            loaded.record.meta.name
        );
        let seqs: Vec<u64> = loaded.tail.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, (snapshot_seq + 1..=inst.seq).collect::<Vec<_>>());
        assert_eq!(loaded.record.cycle_count, inst.seq);
        let mut state = loaded.snapshot.state;
        for e in &loaded.tail {
            ENGINE.step(&mut state, e.observation, Dt::from_secs(e.dt));
        }
        assert_eq!(state, inst.state, "{}", loaded.record.meta.name);
    }
    for missing in &results[expected.len()..] {
        assert!(matches!(missing, Err(StoreError::NotFound)));
    }
}

pub async fn write_behind_keeps_order_and_a_snapshot_waits_for_all_before(store: &Store) {
    let a = account(store).await;
    let mut instances = Vec::new();
    for n in 0..8 {
        instances.push(Driven::create(store, &a, &format!("behind-{n}"), n).await);
    }
    // Cycle-only appends are only queued: send many without waiting for commits.
    for turn in 0..40i64 {
        for inst in &mut instances {
            let cycles = inst.step(&[(Mode::ALL[(turn % 7) as usize], 0.6)], turn);
            ok(store.append(inst.append(cycles, None)).await);
        }
    }
    // A snapshot waits for its commit, and batches commit in queue order: once it is
    // back, everything queued before it is in the database.
    let last = &mut instances[7];
    let snapshot = last.snapshot(40);
    ok(store.append(last.append(Vec::new(), Some(snapshot))).await);
    for inst in &instances {
        let history = ok(store.history_page(&inst.id, page(100, 0)).await);
        assert_eq!(history.total, 40, "{}", inst.id);
        let loaded = ok(store.load(&inst.id).await);
        let mut state = loaded.snapshot.state;
        for e in &loaded.tail {
            ENGINE.step(&mut state, e.observation, Dt::from_secs(e.dt));
        }
        assert_eq!(state, inst.state);
    }
}

pub async fn drift_events_and_history_page_newest_first(store: &Store) {
    let a = account(store).await;
    let mut inst = Driven::create(store, &a, "drift", 0).await;
    let cycles = inst.step(&[(Mode::Assertion, 1.0); 12], 2);
    let expected: Vec<_> = cycles
        .iter()
        .filter_map(|c| c.drift.clone().map(|d| (c.entry.seq, d)))
        .collect();
    assert!(!expected.is_empty(), "no drift in 12 strong cycles");
    ok(store.append(inst.append(cycles.clone(), None)).await);

    let events = ok(store.drift_page(&inst.id, page(100, 0), None).await);
    assert_eq!(events.total, expected.len() as u64);
    for level in [DriftLevel::D1, DriftLevel::D2, DriftLevel::D3] {
        let only = ok(store.drift_page(&inst.id, page(100, 0), Some(level)).await);
        let want = expected.iter().filter(|(_, d)| d.level == level).count();
        assert_eq!((only.total, only.items.len()), (want as u64, want));
        assert!(only.items.iter().all(|e| e.drift.level == level));
    }
    let got: Vec<_> = events
        .items
        .iter()
        .map(|e| (e.seq, e.drift.clone()))
        .collect();
    assert_eq!(got, expected.into_iter().rev().collect::<Vec<_>>());
    assert!(events.items.iter().all(|e| e.recorded_at == at(2)));

    let history = ok(store.history_page(&inst.id, page(5, 3)).await);
    assert_eq!(history.total, 12);
    let seqs: Vec<_> = history.items.iter().map(|e| e.seq).collect();
    assert_eq!(seqs, [9, 8, 7, 6, 5]);
    assert_eq!(history.items[0], cycles[8].entry);
    let empty = ok(store
        .history_page(&InstanceId::generate(), page(5, 0))
        .await);
    assert_eq!((empty.total, empty.items.len()), (0, 0));
}

pub async fn cycles_are_billed_per_account_and_month(store: &Store) {
    let a = account(store).await;
    let b = account(store).await;
    let mut x = Driven::create(store, &a, "x", 0).await;
    let mut y = Driven::create(store, &b, "y", 0).await;
    ok(store.append(x.turn(&[(Mode::Order, 0.5); 3], 1)).await);
    ok(store.append(x.turn(&[(Mode::Order, 0.5); 2], 2)).await);
    ok(store.append(y.turn(&[(Mode::Order, 0.5)], 3)).await);
    // A snapshot-only write bills nothing.
    ok(store
        .append(x.append(Vec::new(), Some(x.snapshot(4))))
        .await);
    // Next month is a new period.
    let december = 8 * 86_400;
    ok(store.append(x.turn(&[(Mode::Order, 0.5)], december)).await);
    assert_eq!(ok(store.monthly_usage(&a, "2026-11").await), 5);
    assert_eq!(ok(store.monthly_usage(&a, "2026-12").await), 1);
    assert_eq!(ok(store.monthly_usage(&b, "2026-11").await), 1);
    assert_eq!(ok(store.monthly_usage(&b, "2026-12").await), 0);
}

pub async fn metadata_and_lifecycle_updates(store: &Store) {
    let a = account(store).await;
    let b = account(store).await;
    let inst = Driven::create(store, &a, "meta", 0).await;
    let changed = InstanceMeta {
        name: "renamed".into(),
        description: String::new(),
        user: None,
        metadata: BTreeMap::new(),
        cycle_cap: Some(10),
    };
    let record = ok(store
        .update_meta(&a, &inst.id, &changed, at(20), None)
        .await);
    assert_eq!(
        (record.meta, record.updated_at, record.created_at),
        (changed.clone(), at(20), at(0))
    );
    assert!(matches!(
        store
            .update_meta(&b, &inst.id, &changed, at(21), None)
            .await,
        Err(StoreError::NotFound)
    ));

    let stopped = ok(store.set_stopped(&a, &inst.id, true, at(30), None).await);
    assert!(stopped.stopped);
    let started = ok(store.set_stopped(&a, &inst.id, false, at(31), None).await);
    assert!(!started.stopped && started.updated_at == at(31));
    assert!(matches!(
        store.set_stopped(&b, &inst.id, true, at(32), None).await,
        Err(StoreError::NotFound)
    ));

    let updated = ok(store
        .set_engine_version(&a, &inst.id, EngineVersion::LATEST, at(40), None)
        .await);
    assert_eq!(updated.engine_version, EngineVersion::LATEST);
}

pub async fn soft_delete_restore_and_purge(store: &Store) {
    let week = Duration::from_secs(7 * 86_400);
    let a = account(store).await;
    let b = account(store).await;
    let mut inst = Driven::create(store, &a, "doomed", 0).await;
    ok(store.append(inst.turn(&[(Mode::Order, 0.7); 3], 1)).await);

    assert!(matches!(
        store.soft_delete(&b, &inst.id, at(10), None).await,
        Err(StoreError::NotFound)
    ));
    ok(store.soft_delete(&a, &inst.id, at(10), None).await);
    assert!(matches!(
        store.get_instance(&a, &inst.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.load(&inst.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.soft_delete(&a, &inst.id, at(11), None).await,
        Err(StoreError::NotFound)
    ));
    let list = newest_first(store, &a, 10).await;
    assert_eq!(list.total, 0);

    // Another account cannot restore it; its owner can, with all its history.
    assert!(matches!(
        store.restore(&b, &inst.id, at(20), week, None).await,
        Err(StoreError::NotFound)
    ));
    let back = ok(store.restore(&a, &inst.id, at(20), week, None).await);
    assert_eq!(back.cycle_count, 3);
    assert_eq!(ok(store.load(&inst.id).await).tail.len(), 3);
    // Restoring a live instance: it was never deleted.
    assert!(matches!(
        store.restore(&a, &inst.id, at(21), week, None).await,
        Err(StoreError::NotFound)
    ));

    // Past the window: a conflict, and the instance stays deleted.
    ok(store.soft_delete(&a, &inst.id, at(30), None).await);
    let late = at(30 + 8 * 86_400);
    assert!(matches!(
        store.restore(&a, &inst.id, late, week, None).await,
        Err(StoreError::Conflict("restore_window_expired"))
    ));

    // Purge: everything goes, irrevocably.
    ok(store.purge(&a, &inst.id, None).await);
    assert!(matches!(
        store.restore(&a, &inst.id, at(31), week, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(ok(store.history_page(&inst.id, page(10, 0)).await).total, 0);
    assert!(matches!(
        store.purge(&a, &inst.id, None).await,
        Err(StoreError::NotFound)
    ));

    // A live instance can be purged directly; another account's cannot.
    let live = Driven::create(store, &a, "live", 0).await;
    assert!(matches!(
        store.purge(&b, &live.id, None).await,
        Err(StoreError::NotFound)
    ));
    ok(store.purge(&a, &live.id, None).await);
    assert!(matches!(
        store.get_instance(&a, &live.id).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn expired_deletions_are_purged(store: &Store) {
    let week = Duration::from_secs(7 * 86_400);
    let a = account(store).await;
    let mut old = Driven::create(store, &a, "old", 0).await;
    ok(store.append(old.turn(&[(Mode::Order, 0.7)], 1)).await);
    let recent = Driven::create(store, &a, "recent", 0).await;
    let live = Driven::create(store, &a, "live", 0).await;
    ok(store.soft_delete(&a, &old.id, at(0), None).await);
    ok(store
        .soft_delete(&a, &recent.id, at(6 * 86_400), None)
        .await);
    let now = at(7 * 86_400 + 1);
    assert_eq!(
        ok(store.purge_expired(now, week, 100, |_| Some(None)).await),
        1
    );
    assert!(matches!(
        store.restore(&a, &old.id, now, week, None).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(ok(store.history_page(&old.id, page(10, 0)).await).total, 0);
    ok(store.restore(&a, &recent.id, now, week, None).await);
    ok(store.get_instance(&a, &live.id).await);
    assert_eq!(
        ok(store.purge_expired(now, week, 100, |_| Some(None)).await),
        0
    );
}

pub async fn keys_are_found_by_hash_until_revoked(store: &Store) {
    let a = account(store).await;
    let id = KeyId::generate();
    let key = ok(store.create_key(&id, &a, "hash-one", "ci", at(1)).await);
    assert_eq!(
        (
            key.id.clone(),
            key.account_id.clone(),
            key.plan.as_str(),
            key.label.as_str()
        ),
        (id.clone(), a.clone(), "pro", "ci")
    );
    assert_eq!(key.revoked_at, None);
    assert_eq!(ok(store.find_key("hash-one").await), Some(key.clone()));
    assert_eq!(ok(store.find_key("hash-two").await), None);
    // A hash is unique: the same secret cannot be stored twice.
    assert!(matches!(
        store
            .create_key(&KeyId::generate(), &a, "hash-one", "again", at(2))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let second = ok(store
        .create_key(&KeyId::generate(), &a, "hash-two", "", at(3))
        .await);
    assert_eq!(ok(store.list_keys().await), vec![key.clone(), second]);

    let revoked = ok(store.revoke_key(&id, at(5)).await);
    assert_eq!(revoked.revoked_at, Some(at(5)));
    assert_eq!(ok(store.find_key("hash-one").await), None);
    assert_eq!(
        ok(store.revoke_key(&id, at(9)).await).revoked_at,
        Some(at(5))
    );
    assert!(matches!(
        store.revoke_key(&KeyId::generate(), at(9)).await,
        Err(StoreError::NotFound)
    ));
}

pub async fn migrations_are_idempotent(store: &Store) {
    ok(store.migrate().await);
    ok(store.migrate().await);
    ok(store.ping().await);
}

/// Cluster mode: node `a` holds the shard at epoch 1, writes, then node `b` takes the
/// shard over (epoch 2) and claims the instance. From then on every write `a` still
/// makes — an actor's append, a row change, a claim — is refused whole, and `b`'s go on
/// from the last committed cycle.
pub async fn writes_of_a_node_that_lost_its_shard_are_fenced(db: &crate::harness::TestDb) {
    let store = &db.store;
    let acct = account(store).await;
    let id = InstanceId::generate();
    let shard = shard_of(id.as_str());
    let lease = |node: &str, epoch: u64| {
        format!(
            "UPDATE shard_lease SET node_id = '{node}', epoch = {epoch}, \
             lease_until = 9000000000000000 WHERE shard_id = {shard}"
        )
    };
    let fence = |node: &str, epoch: u64| Fence {
        shard,
        epoch,
        node: node.into(),
    };
    let (a, b) = (fence("a/1", 1), fence("b/2", 2));

    // Not the lease holder: nothing is created.
    let refused = NewInstance {
        id: InstanceId::generate(),
        account_id: acct.clone(),
        meta: meta("nobody's", None),
        persona: None,
        engine_version: EngineVersion::LATEST,
        profile: Profile::DEFAULT,
        created_at: at(0),
    };
    assert!(matches!(
        store.create_instance(&refused, Some(&a)).await,
        Err(StoreError::Fenced)
    ));

    db.execute(&lease("a/1", 1)).await;
    let mut on_a = Driven::create_under(store, &acct, id.clone(), "fenced", Some(&a), 0).await;
    ok(store.claim(&id, &a).await);
    ok(store
        .append(on_a.turn(&[(Mode::Exploration, 0.8)], 1))
        .await);

    db.execute(&lease("b/2", 2)).await;
    assert!(matches!(
        store.claim(&id, &a).await,
        Err(StoreError::Fenced)
    ));
    ok(store.claim(&id, &b).await);
    // b activates from storage: the one cycle a committed.
    let loaded = ok(store.load(&id).await);
    assert_eq!(loaded.snapshot.seq + loaded.tail.len() as u64, 1);
    let mut on_b = on_a.clone();
    on_b.epoch = NonZeroU64::new(2);

    // a's actor does not know yet: its next cycle, and a row change, are refused whole.
    let stale = on_a.turn(&[(Mode::Order, 0.3)], 2);
    let fresh = on_b.turn(&[(Mode::Identity, 0.6)], 3);
    // Both in flight at once: they share a group commit, which keeps b's.
    let (stale, fresh) = tokio::join!(store.append(stale), store.append(fresh));
    assert!(matches!(stale, Err(StoreError::Fenced)), "{stale:?}");
    ok(fresh);
    let changed = meta("renamed by a", None);
    assert!(matches!(
        store
            .update_meta(&acct, &id, &changed, at(4), Some(&a))
            .await,
        Err(StoreError::Fenced)
    ));
    assert!(matches!(
        store.soft_delete(&acct, &id, at(4), Some(&a)).await,
        Err(StoreError::Fenced)
    ));
    assert!(matches!(
        store.purge(&acct, &id, Some(&a)).await,
        Err(StoreError::Fenced)
    ));

    let history = ok(store.history_page(&id, page(10, 0)).await);
    let modes: Vec<(u64, Mode)> = history
        .items
        .iter()
        .map(|e| (e.seq, e.observation.mode))
        .collect();
    assert_eq!(modes, vec![(2, Mode::Identity), (1, Mode::Exploration)]);
    // Only committed cycles are billed.
    let period = at(1).month();
    assert_eq!(ok(store.monthly_usage(&acct, &period).await), 2);
    let record = ok(store
        .update_meta(&acct, &id, &changed, at(5), Some(&b))
        .await);
    assert_eq!(record.meta.name, "renamed by a");
}

/// The totals of every filter the store counts (account; user tag; stopped or running,
/// alone and with a tag) stay equal to the rows a full scan finds, through creations,
/// deletions, stops, re-tags, purges and restores all running at once.
pub async fn list_totals_stay_exact_under_concurrent_writes(store: &Store) {
    let week = Duration::from_secs(7 * 86_400);
    let a = account(store).await;
    let other = account(store).await;
    let new = |account: &AccountId, i: usize| NewInstance {
        id: InstanceId::generate(),
        account_id: account.clone(),
        meta: meta(&format!("n{i:03}"), Some(&format!("user-{}", i % 4))),
        persona: None,
        engine_version: EngineVersion::LATEST,
        profile: Profile::DEFAULT,
        created_at: at(i as i64),
    };
    let mut tasks = tokio::task::JoinSet::new();
    let first: Vec<NewInstance> = (0..120).map(|i| new(&a, i)).collect();
    for n in first.iter().cloned().chain((0..10).map(|i| new(&other, i))) {
        let store = store.clone();
        tasks.spawn(async move { store.create_instance(&n, None).await.map(drop) });
    }
    while let Some(done) = tasks.join_next().await {
        ok(ok(done));
    }
    assert_eq!(totals(store, &a).await, scanned(store, &a).await);

    // All at once: sixty more creations, and on the first ones 30 deletions, 20 stops,
    // 10 re-tags (user-2 to user-9), 10 purges of live instances.
    for n in (120..180).map(|i| new(&a, i)) {
        let store = store.clone();
        tasks.spawn(async move { store.create_instance(&n, None).await.map(drop) });
    }
    for (i, n) in first.iter().take(70).enumerate() {
        let (store, a, id) = (store.clone(), a.clone(), n.id.clone());
        let mut retagged = n.meta.clone();
        retagged.user = Some("user-9".into());
        tasks.spawn(async move {
            match i {
                0..30 => store.soft_delete(&a, &id, at(200), None).await,
                30..50 => store
                    .set_stopped(&a, &id, true, at(200), None)
                    .await
                    .map(drop),
                50..60 => store
                    .update_meta(&a, &id, &retagged, at(200), None)
                    .await
                    .map(drop),
                _ => store.purge(&a, &id, None).await,
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        ok(ok(done));
    }
    assert_eq!(totals(store, &a).await, scanned(store, &a).await);

    // Then restores of ten deleted, and purges of ten other deleted, at once with starts
    // of ten stopped instances.
    for (i, n) in first.iter().take(50).enumerate() {
        let (store, a, id) = (store.clone(), a.clone(), n.id.clone());
        tasks.spawn(async move {
            match i {
                0..10 => store.restore(&a, &id, at(300), week, None).await.map(drop),
                10..20 => store.purge(&a, &id, None).await,
                30..40 => store
                    .set_stopped(&a, &id, false, at(300), None)
                    .await
                    .map(drop),
                _ => Ok(()),
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        ok(ok(done));
    }
    let counted = totals(store, &a).await;
    assert_eq!(counted, scanned(store, &a).await);
    // 180 created, 10 purged live, 20 deleted for good: 150 live, 10 of them stopped.
    assert_eq!((counted[0].1, counted[1].1), (150, 10));
    assert_eq!(totals(store, &other).await[0].1, 10);
}

/// The filters a list's total is counted for.
fn count_filters() -> Vec<InstanceFilter> {
    let mut filters = Vec::new();
    for user in [None, Some("user-0"), Some("user-2"), Some("user-9")] {
        for stopped in [None, Some(true), Some(false)] {
            filters.push(InstanceFilter {
                user: user.map(str::to_owned),
                stopped,
                ids: None,
            });
        }
    }
    filters
}

/// Each filter with the total a one-row page reports for it.
async fn totals(store: &Store, account: &AccountId) -> Vec<(InstanceFilter, u64)> {
    let mut totals = Vec::new();
    for filter in count_filters() {
        let first = ok(store
            .list_instances(account, &filter, SortKey::CreatedAt, true, page(1, 0))
            .await);
        totals.push((filter, first.total));
    }
    totals
}

/// Each filter with how many rows a page as large as the account lists.
async fn scanned(store: &Store, account: &AccountId) -> Vec<(InstanceFilter, u64)> {
    let mut counts = Vec::new();
    for filter in count_filters() {
        let all = ok(store
            .list_instances(account, &filter, SortKey::Name, false, page(1000, 0))
            .await);
        counts.push((filter, all.items.len() as u64));
    }
    counts
}

/// Migrations 0005 and 0006 on a database written before them: the counts it takes in place equal
/// the rows, and the triggers it installs keep them from then on.
pub async fn the_count_migration_counts_an_existing_database(db: &crate::harness::TestDb) {
    let store = &db.store;
    let undo = if db.is_postgres() {
        "DROP TRIGGER instances_counted_insert ON instances;
         DROP TRIGGER instances_counted_update ON instances;
         DROP TRIGGER instances_counted_delete ON instances;
         DROP FUNCTION instance_counts_inserted(), instance_counts_row_changed(),
             instance_counts_add(TEXT[], TEXT[], INTEGER[], BOOLEAN[]);
         DROP TABLE account_counts, user_counts;
         DELETE FROM _sqlx_migrations WHERE version IN (5, 6);"
    } else {
        "DROP TRIGGER instances_counted_insert;
         DROP TRIGGER instances_counted_update;
         DROP TRIGGER instances_counted_delete;
         DROP TABLE account_counts;
         DROP TABLE user_counts;
         DELETE FROM _sqlx_migrations WHERE version IN (5, 6);"
    };
    db.execute(undo).await;
    let a = account(store).await;
    let mut ids = Vec::new();
    for i in 0..12 {
        let new = NewInstance {
            id: InstanceId::generate(),
            account_id: a.clone(),
            meta: meta(&format!("old{i}"), Some(&format!("user-{}", i % 3))),
            persona: None,
            engine_version: EngineVersion::LATEST,
            profile: Profile::DEFAULT,
            created_at: at(i),
        };
        ok(store.create_instance(&new, None).await);
        ids.push(new.id);
    }
    ok(store.soft_delete(&a, &ids[0], at(20), None).await);
    ok(store.set_stopped(&a, &ids[1], true, at(20), None).await);
    ok(store.set_stopped(&a, &ids[2], true, at(20), None).await);

    ok(store.migrate().await);
    let counted = totals(store, &a).await;
    assert_eq!(counted, scanned(store, &a).await);
    assert_eq!((counted[0].1, counted[1].1), (11, 2));

    ok(store.soft_delete(&a, &ids[3], at(30), None).await);
    ok(store.set_stopped(&a, &ids[1], false, at(30), None).await);
    let counted = totals(store, &a).await;
    assert_eq!(counted, scanned(store, &a).await);
    assert_eq!((counted[0].1, counted[1].1), (10, 1));
}

/// History retention: everything recorded before the cutoff goes (whole partitions on
/// PostgreSQL), except what replay needs, which a snapshot pinned first makes nothing;
/// every instance then loads to the state it had; what is newer stays, and pages count
/// and report what is kept.
pub async fn history_retention_keeps_what_replay_needs(store: &Store) {
    use identity_os::retention::{prepare, run_round};

    let day = Duration::from_secs(86_400);
    // The first partition's end on PostgreSQL (the next midnight at migration); on
    // SQLite any time after the rows below.
    let boundary = match ok(store.history_partitions().await).first() {
        Some(p) => p.until,
        None => at(10 * 86_400),
    };
    let secs = (boundary.as_micros() - T0) / 1_000_000;
    ok(prepare(store, Some(day), boundary).await);
    let a = account(store).await;
    // x: a snapshot at seq 3, then two cycles only replay has; y: a snapshot at seq 3,
    // and two cycles after the cutoff.
    let mut x = Driven::create(store, &a, "x", 0).await;
    let mut y = Driven::create(store, &a, "y", 0).await;
    for inst in [&mut x, &mut y] {
        let cycles = inst.step(
            &[
                (Mode::Order, 0.9),
                (Mode::StressResponse, 0.8),
                (Mode::Order, 0.2),
            ],
            secs - 60,
        );
        let snapshot = inst.snapshot(secs - 60);
        ok(store.append(inst.append(cycles, Some(snapshot))).await);
    }
    ok(store
        .append(x.turn(
            &[(Mode::Exploration, 0.7), (Mode::StressResponse, 0.9)],
            secs - 30,
        ))
        .await);
    ok(store
        .append(y.turn(
            &[(Mode::Exploration, 0.7), (Mode::StressResponse, 0.9)],
            secs + 3600,
        ))
        .await);
    let states = |store: &Store, id: &InstanceId| {
        let (store, id) = (store.clone(), id.clone());
        async move {
            let stored = ok(store.load(&id).await);
            let snapshot = ok(identity_os::instance::Instance::replayed_snapshot(stored));
            (snapshot.seq, snapshot.state)
        }
    };
    assert_eq!(states(store, &x.id).await, (5, x.state));
    // A round with nothing old enough drops nothing and reports nothing dropped.
    let early = ok(run_round(store, Some(day), boundary).await);
    assert_eq!(early.dropped, Default::default(), "{early:?}");
    assert_eq!(store.kept_since(), None);

    let round = ok(run_round(store, Some(day), boundary.saturating_add(day)).await);
    assert_eq!(round.snapshots_pinned, 1, "{round:?}");
    assert_eq!(round.dropped.kept_for_replay, 0, "{round:?}");
    if ok(store.history_partitions().await).is_empty() {
        assert_eq!(round.dropped.rows, 8, "{round:?}");
    } else {
        assert_eq!(round.dropped.partitions, 1, "{round:?}");
        assert!(ok(store.history_partitions().await)[0].from >= boundary);
    }
    assert_eq!(store.kept_since(), Some(boundary));

    // Both load to the state they had, x from its pinned snapshot alone.
    assert_eq!(states(store, &x.id).await, (5, x.state));
    assert_eq!(states(store, &y.id).await, (5, y.state));
    assert_eq!(ok(store.load(&x.id).await).tail.len(), 0);
    let kept = ok(store.history_page(&y.id, page(10, 0)).await);
    let seqs: Vec<u64> = kept.items.iter().map(|e| e.seq).collect();
    assert_eq!((seqs, kept.total), (vec![5, 4], 2));
    let gone = ok(store.history_page(&x.id, page(10, 0)).await);
    assert_eq!((gone.items.len(), gone.total), (0, 0));
    assert!(
        ok(store.drift_page(&x.id, page(10, 0), None).await)
            .items
            .is_empty()
    );
    // x goes on from seq 6.
    ok(store
        .append(x.turn(&[(Mode::Order, 0.5)], secs + 7200))
        .await);
    assert_eq!(states(store, &x.id).await, (6, x.state));

    // A second round finds nothing more to do.
    let again = ok(run_round(store, Some(day), boundary.saturating_add(day)).await);
    assert_eq!(
        (
            again.snapshots_pinned,
            again.dropped.partitions,
            again.dropped.rows
        ),
        (0, 0, 0)
    );
}

/// What a database of the release before migration 0008 holds: an instance with two
/// cycles and a drift event recorded on 2026-11-23, its snapshot at the second.
pub struct OldDatabase {
    account: AccountId,
    instance: InstanceId,
}

impl OldDatabase {
    pub fn new() -> OldDatabase {
        OldDatabase {
            account: AccountId::generate(),
            instance: InstanceId::generate(),
        }
    }

    /// The rows, as SQL.
    pub fn seed(&self) -> String {
        let (a, i) = (self.account.as_str(), self.instance.as_str());
        let state = ok(serde_json::to_string(&EngineState::default()));
        let version = EngineVersion::LATEST.number();
        let row = |seq: i64| {
            format!(
                "('{i}', {seq}, {seq}, 'ORDER', 0.5, 0.9, 1.0, '{{\"turn\":{seq}}}', NULL, \
                 {at}, 0.8, 'LOW', 0.9)",
                at = T0 + seq * 1_000_000
            )
        };
        format!(
            "INSERT INTO accounts (id, plan, created_at) VALUES ('{a}', 'pro', {T0});
             INSERT INTO instances (id, account_id, name, description, user_tag, metadata,
                 cycle_cap, stopped, persona, engine_version, created_at, updated_at)
             VALUES ('{i}', '{a}', 'old', 'before partitioning', NULL, '{{}}', NULL, FALSE,
                 NULL, {version}, {T0}, {T0});
             INSERT INTO snapshots (instance_id, id, seq, state, last_cycle_at, energy_level,
                 stress_state, stability_index, written_at)
             VALUES ('{i}', 'snap_0000000000000001', 2, '{state}', {last}, 0.8, 'LOW', 0.9,
                 {last});
             INSERT INTO history (instance_id, seq, cycle, mode, signal, confidence, dt,
                 context, observed_at, recorded_at, energy_level, stress_state,
                 stability_index)
             VALUES {one}, {two};
             INSERT INTO drift_events (instance_id, seq, cycle, level, magnitude, deviation,
                 affected_modes, rolled_back, recorded_at)
             VALUES ('{i}', 2, 2, 'D1', 0.2, '{{}}', '[]', FALSE, {last});",
            last = T0 + 2_000_000,
            one = row(1),
            two = row(2),
        )
    }

    /// After the upgrade: the old rows read back from the first partition, which ends
    /// at a midnight after them; new cycles land in partitions made ahead; retention
    /// drops the old partition once past it.
    pub async fn check(&self, store: &Store) {
        let partitions = ok(store.history_partitions().await);
        assert_eq!(partitions.len(), 1, "{partitions:?}");
        assert_eq!(partitions[0].suffix, "p0");
        let boundary = partitions[0].until;
        assert_eq!(boundary.as_micros() % (86_400 * 1_000_000), 0);
        assert!(boundary > Timestamp::now());

        let history = ok(store.history_page(&self.instance, page(10, 0)).await);
        let seqs: Vec<u64> = history.items.iter().map(|e| e.seq).collect();
        assert_eq!((seqs, history.total), (vec![2, 1], 2));
        assert_eq!(history.items[1].context, r#"{"turn":1}"#);
        let drift = ok(store.drift_page(&self.instance, page(10, 0), None).await);
        assert_eq!((drift.items.len(), drift.total), (1, 1));
        let record = ok(store.get_instance(&self.account, &self.instance).await);
        assert_eq!(record.cycle_count, 2);

        // The next partitions, and a cycle in one of them.
        let day = Duration::from_secs(86_400);
        assert_eq!(
            ok(identity_os::retention::prepare(store, Some(day), boundary).await),
            3
        );
        let mut inst = Driven {
            id: self.instance.clone(),
            account: self.account.clone(),
            state: EngineState::default(),
            seq: 2,
            epoch: None,
        };
        let later = (boundary.as_micros() - T0) / 1_000_000 + 60;
        ok(store.append(inst.turn(&[(Mode::Order, 0.4)], later)).await);

        // Retention past the boundary drops the old partition, whole.
        let round =
            ok(
                identity_os::retention::run_round(store, Some(day), boundary.saturating_add(day))
                    .await,
            );
        assert_eq!((round.dropped.partitions, round.snapshots_pinned), (1, 0));
        let history = ok(store.history_page(&self.instance, page(10, 0)).await);
        let seqs: Vec<u64> = history.items.iter().map(|e| e.seq).collect();
        assert_eq!((seqs, history.total), (vec![3], 1));
        assert!(
            ok(store.drift_page(&self.instance, page(10, 0), None).await)
                .items
                .is_empty()
        );
        assert_eq!(store.kept_since(), Some(boundary));
    }
}

/// Reads go to the history only where it may hold rows after the snapshot (migration
/// 0011): a cycle marks the instance, a snapshot written without cycles (passivation,
/// stop) clears it, and a history row written by anything else (a node of the version
/// before, in a rolling upgrade) marks it too. Whatever the flag, a read sees the newest.
pub async fn a_tail_is_read_only_where_history_may_hold_one(db: &crate::harness::TestDb) {
    let store = &db.store;
    let a = account(store).await;
    let mut inst = Driven::create(store, &a, "tail", 0).await;
    let (id, account) = (&inst.id.clone(), &a);
    // The stored instance, once its record says it has `n` cycles.
    let newest = |n: u64| async move {
        let loaded = ok(store.load(id).await);
        let record = ok(store.get_instance(account, id).await);
        assert_eq!(record.cycle_count, n, "the record's cycles");
        loaded
    };
    assert!(newest(0).await.tail.is_empty());

    // Cycles of a resident instance, then a crash before its passivation: replayed.
    let cycles = inst.step(&[(Mode::Perception, 0.5), (Mode::Order, 0.7)], 2);
    ok(store.append(inst.append(cycles, None)).await);
    let loaded = newest(2).await;
    assert_eq!(
        loaded.tail.iter().map(|h| h.seq).collect::<Vec<_>>(),
        [1, 2]
    );

    // Passivation: a snapshot of everything, nothing left to replay.
    ok(store
        .append(inst.append(Vec::new(), Some(inst.snapshot(3))))
        .await);
    let loaded = newest(2).await;
    assert_eq!((loaded.snapshot.seq, loaded.tail.len()), (2, 0));

    // The next activation's first cycle: read after the snapshot again.
    let next = inst.step(&[(Mode::Exploration, 0.6)], 4);
    let summary = next[0].entry.summary;
    ok(store.append(inst.append(next, None)).await);
    let loaded = newest(3).await;
    assert_eq!(loaded.tail.len(), 1);
    assert_eq!(ok(store.get_instance(&a, &inst.id).await).summary, summary);
    ok(store
        .append(inst.append(Vec::new(), Some(inst.snapshot(5))))
        .await);
    assert!(newest(3).await.tail.is_empty());

    // A row written around the store is read all the same.
    let row = |seq: i64| {
        format!(
            "INSERT INTO history (instance_id, seq, cycle, mode, signal, confidence, dt,
                 context, observed_at, recorded_at, energy_level, stress_state,
                 stability_index)
             VALUES ('{}', {seq}, {seq}, 'ORDER', 0.5, 0.9, 1.0, '{{}}', NULL, {}, 0.8,
                 'LOW', 0.9)",
            inst.id,
            at(6).as_micros()
        )
    };
    db.execute(&row(4)).await;
    let loaded = newest(4).await;
    assert_eq!(loaded.tail.iter().map(|h| h.seq).collect::<Vec<_>>(), [4]);
    let list = newest_first(store, &a, 5).await;
    assert_eq!(list.items[0].cycle_count, 4, "a list reads it too");

    // The flag is what reads go by: a row slipped in under a cleared flag is not read.
    db.execute(&format!(
        "{}; UPDATE instances SET has_tail = FALSE WHERE id = '{}'",
        row(5),
        inst.id
    ))
    .await;
    let loaded = newest(3).await;
    assert_eq!((loaded.snapshot.seq, loaded.tail.len()), (3, 0));
}
