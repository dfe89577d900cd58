use std::collections::BTreeMap;

use super::*;
use crate::engine::{Mode, StressState, Unit};
use crate::store::{InstanceMeta, InstanceRecord};
use actors::Entity;

const T0: i64 = 1_795_392_000_000_000;

fn at(secs: f64) -> Timestamp {
    Timestamp::from_micros(T0 + (secs * 1e6) as i64)
}

fn record(cap: Option<u64>) -> InstanceRecord {
    InstanceRecord {
        id: InstanceId::generate(),
        account_id: AccountId::generate(),
        meta: InstanceMeta {
            name: "t".into(),
            cycle_cap: cap,
            metadata: BTreeMap::new(),
            ..InstanceMeta::default()
        },
        stopped: false,
        persona: None,
        engine_version: EngineVersion::LATEST,
        created_at: at(0.0),
        updated_at: at(0.0),
        cycle_count: 0,
        summary: Summary {
            energy_level: 0.8,
            stress_state: StressState::Low,
            stability_index: 0.75,
        },
    }
}

/// The snapshot cadence of these tests' processing calls, unless one says otherwise.
const EVERY: u32 = 100;

fn fresh(cap: Option<u64>) -> Instance {
    let stored = StoredInstance {
        record: record(cap),
        snapshot: SnapshotRecord {
            seq: 0,
            state: EngineState::default(),
            last_cycle_at: None,
            summary: record(None).summary,
        },
        tail: Vec::new(),
    };
    Instance::restore(stored).unwrap_or_else(|e| panic!("{e}"))
}

fn input(mode: Mode, signal: f64) -> Input {
    Input {
        observation: Observation::new(mode, Unit::new(signal).unwrap_or(Unit::ZERO), Unit::ONE),
        context: "{}".into(),
        observed_at: None,
    }
}

fn ok<T, E: std::fmt::Display>(r: Result<T, E>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_cycle_counts_records_and_measures_dt_from_the_previous_one() {
    let mut inst = fresh(None);
    let first = ok(inst.process(&[input(Mode::Order, 0.8)], at(2.5), false, EVERY));
    assert_eq!(first.views.len(), 1);
    assert_eq!(first.append.cycles.len(), 1);
    let entry = &first.append.cycles[0].entry;
    assert_eq!((entry.seq, entry.cycle, entry.dt), (1, 1, 2.5));
    assert_eq!(entry.recorded_at, at(2.5));
    assert_eq!(first.views[0].snapshot.cycle, 1);
    assert_eq!(first.append.snapshot, None);
    let second = ok(inst.process(&[input(Mode::Order, 0.8)], at(4.0), false, EVERY));
    assert_eq!(second.append.cycles[0].entry.dt, 1.5);
    assert_eq!(inst.cycle_count(), 2);
    assert_eq!(inst.current(), second.views[0]);
}

#[test]
fn passivation_writes_a_snapshot_only_over_cycles_not_yet_in_one() {
    let mut inst = fresh(None);
    assert!(
        Entity::passivate(&mut inst).is_none(),
        "read only since activation"
    );
    ok(inst.process(&[input(Mode::Order, 0.8)], at(2.5), false, EVERY));
    let written = Entity::passivate(&mut inst).and_then(|append| append.snapshot);
    assert_eq!(written.map(|s| (s.seq, s.state)), Some((1, inst.state)));
    assert!(
        Entity::passivate(&mut inst).is_none(),
        "nothing since that snapshot"
    );
}

#[test]
fn a_batch_runs_in_one_turn_with_dt_zero_after_the_first() {
    let mut inst = fresh(None);
    let mut other = inst.clone();
    let batch = [
        input(Mode::Exploration, 0.9),
        input(Mode::Order, 0.2),
        input(Mode::Identity, 0.5),
    ];
    let out = ok(inst.process(&batch, at(10.0), true, EVERY));
    let dts: Vec<f64> = out.append.cycles.iter().map(|c| c.entry.dt).collect();
    assert_eq!(dts, [10.0, 0.0, 0.0]);
    assert_eq!(out.views.len(), 3);
    assert_eq!(
        out.views
            .iter()
            .map(|v| v.snapshot.cycle)
            .collect::<Vec<_>>(),
        [1, 2, 3]
    );
    let last_only = ok(other.process(&batch, at(10.0), false, EVERY));
    assert_eq!(last_only.views, vec![out.views[2].clone()]);
}

#[test]
fn refused_turns_change_nothing() {
    let mut inst = fresh(Some(3));
    ok(inst.process(
        &[input(Mode::Order, 0.5), input(Mode::Order, 0.5)],
        at(1.0),
        false,
        EVERY,
    ));
    let before = inst.clone();
    let err = inst.process(
        &[input(Mode::Order, 0.5), input(Mode::Order, 0.5)],
        at(2.0),
        false,
        EVERY,
    );
    assert_eq!(
        err.map(|_| ()),
        Err(InstanceError::CycleCapReached { cap: 3, count: 2 })
    );
    assert_eq!(inst, before);
    ok(inst.process(&[input(Mode::Order, 0.5)], at(3.0), false, EVERY));

    let mut stopped = fresh(None);
    stopped.set_stopped(true);
    let before = stopped.clone();
    assert_eq!(
        stopped
            .process(&[input(Mode::Order, 0.5)], at(1.0), false, EVERY)
            .map(|_| ()),
        Err(InstanceError::Stopped)
    );
    assert_eq!(stopped, before);
    assert_eq!(InstanceError::Stopped.reason(), "instance_stopped");
}

#[test]
fn a_snapshot_rides_along_every_n_cycles() {
    let mut inst = fresh(None);
    let mut with_snapshot = Vec::new();
    for t in 1..=12 {
        let out = ok(inst.process(&[input(Mode::Connection, 0.4)], at(f64::from(t)), false, 5));
        if let Some(s) = out.append.snapshot {
            with_snapshot.push(s.seq);
        }
    }
    assert_eq!(with_snapshot, [5, 10]);
    // A cadence changed between calls (a reload) applies from the next one.
    let out = ok(inst.process(&[input(Mode::Connection, 0.4)], at(13.0), false, 3));
    assert_eq!(out.append.snapshot.map(|s| s.seq), Some(13));
}

#[test]
fn restore_replays_to_the_live_state() {
    let mut live = fresh(None);
    let rec = record(None);
    let start = live.clone();
    let mut tail = Vec::new();
    for t in 1..=30 {
        let mode = Mode::ALL[t % 7];
        let out = ok(live.process(
            &[input(mode, 0.7), input(Mode::Assertion, 1.0)],
            at(t as f64 * 1.1),
            false,
            EVERY,
        ));
        tail.extend(out.append.cycles.into_iter().map(|c| c.entry));
    }
    let stored = StoredInstance {
        record: InstanceRecord {
            id: start.id.clone(),
            account_id: start.account.clone(),
            ..rec
        },
        snapshot: SnapshotRecord {
            seq: 0,
            state: start.state,
            last_cycle_at: None,
            summary: record(None).summary,
        },
        tail: tail.clone(),
    };
    let restored = ok(Instance::restore(stored.clone()));
    assert_eq!(restored.state, live.state);
    assert_eq!(restored.current(), live.current());
    assert_eq!(restored.cycle_count(), 60);
    assert_eq!(restored.last_cycle_at(), live.last_cycle_at());

    let mut gap = stored.clone();
    gap.tail.remove(10);
    assert_eq!(
        Instance::restore(gap).map(|_| ()),
        Err(RestoreError::Gap {
            expected: 11,
            found: 12
        })
    );
    let mut diverged = stored;
    diverged.tail[5].dt += 100.0;
    assert_eq!(
        Instance::restore(diverged).map(|_| ()),
        Err(RestoreError::Diverged { seq: 6 })
    );
}

#[test]
fn reset_keeps_the_lifetime_count_and_writes_a_snapshot() {
    let mut inst = fresh(None);
    for t in 1..=4 {
        ok(inst.process(
            &[input(Mode::StressResponse, 1.0)],
            at(f64::from(t)),
            false,
            EVERY,
        ));
    }
    let append = inst.reset(ResetTarget::Initial);
    assert!(append.cycles.is_empty());
    let snapshot = append.snapshot.unwrap_or_else(|| panic!("no snapshot"));
    assert_eq!((snapshot.seq, snapshot.state.cycle), (4, 0));
    assert_eq!(snapshot.state.modes, EngineState::default().modes);
    assert_eq!(inst.cycle_count(), 4);
    assert_eq!(inst.current().snapshot.cycle, 0);
    assert_eq!(inst.current().drift, Drift::NONE);
}
