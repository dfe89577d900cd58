//! Throughput of the engine step (goal: ≥ 5 million observations/s on one core).
//!
//! `step` is the state update and drift alone (what replay runs); `step+contract` adds
//! the snapshot and contract every `/process` answer carries.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use identity_os::engine::{Dt, Engine, EngineState, Mode, Observation, Unit};

/// A fixed, varied sequence: every mode, a spread of signals, confidences and gaps.
fn observations() -> Vec<(Observation, Dt)> {
    (0..1024u32)
        .map(|i| {
            let mode = Mode::ALL[(i * 5 % 7) as usize];
            let signal = Unit::saturating(f64::from(i % 11) / 10.0);
            let confidence = Unit::saturating(0.5 + f64::from(i % 6) / 10.0);
            let dt = Dt::from_secs(f64::from(i % 4));
            (Observation::new(mode, signal, confidence), dt)
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let engine = Engine::latest();
    let seq = observations();
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(seq.len() as u64));
    group.bench_function("step", |b| {
        b.iter(|| {
            let mut state = EngineState::default();
            for (obs, dt) in &seq {
                black_box(engine.step(&mut state, *obs, *dt));
            }
            state
        })
    });
    group.bench_function("step+contract", |b| {
        b.iter(|| {
            let mut state = EngineState::default();
            for (obs, dt) in &seq {
                let drift = engine.step(&mut state, *obs, *dt);
                let snapshot = engine.snapshot(&state, "inst_0123456789abcdef");
                black_box((engine.contract(&snapshot), drift));
            }
            state
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
