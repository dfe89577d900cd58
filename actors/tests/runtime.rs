//! The runtime's guarantees, with a counter entity and an in-memory journal (a test
//! double allowed here only: the server plugs in its real store).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use actors::{
    CallError, Entity, IncidentKind, Journal, Outcome, RestartPolicy, Runtime, RuntimeConfig,
};

/// A counter that also logs what it was given, in order.
struct Counter {
    id: String,
    value: i64,
    log: Vec<i64>,
    last_cycle_at: Option<SystemTime>,
}

enum Command {
    /// A cycle: adds n.
    Add(i64),
    Get,
    /// Panics inside the handler.
    Explode,
}

#[derive(Debug, PartialEq)]
enum Reply {
    Applied(i64),
    Throttled(i64),
    Value(i64, Vec<i64>),
}

#[derive(Debug, Clone, PartialEq)]
struct Durable {
    value: i64,
    log: Vec<i64>,
}

impl Entity for Counter {
    type Id = String;
    type Command = Command;
    type Reply = Reply;
    type Error = String;
    type Effect = (Durable, bool);
    type Group = char;

    fn id(&self) -> &String {
        &self.id
    }

    /// Grouped by the id's first letter.
    fn group(&self) -> Option<char> {
        self.id.chars().next()
    }

    fn admit(&self, command: &Command) -> Result<bool, String> {
        Ok(matches!(command, Command::Add(_)))
    }

    fn throttled(&self, _: Command) -> Reply {
        Reply::Throttled(self.value)
    }

    fn handle(
        &mut self,
        command: Command,
        now: SystemTime,
    ) -> Result<Outcome<Reply, (Durable, bool)>, String> {
        match command {
            Command::Add(n) => {
                self.value += n;
                self.log.push(n);
                self.last_cycle_at = Some(now);
                Ok(Outcome {
                    reply: Reply::Applied(self.value),
                    effect: Some((self.durable(), false)),
                    cycled: true,
                })
            }
            Command::Get => Ok(Outcome {
                reply: Reply::Value(self.value, self.log.clone()),
                effect: None,
                cycled: false,
            }),
            Command::Explode => panic!("boom"),
        }
    }

    fn passivate(&mut self) -> Option<(Durable, bool)> {
        Some((self.durable(), true))
    }

    fn last_cycle_at(&self) -> Option<SystemTime> {
        self.last_cycle_at
    }
}

impl Counter {
    fn durable(&self) -> Durable {
        Durable {
            value: self.value,
            log: self.log.clone(),
        }
    }
}

#[derive(Default)]
struct MemoryJournal {
    durable: Mutex<HashMap<String, Durable>>,
    loads: AtomicUsize,
    snapshots: AtomicUsize,
    fail_persist: AtomicBool,
    load_delay_ms: AtomicUsize,
    persist_delay_ms: AtomicUsize,
}

impl Journal<Counter> for Arc<MemoryJournal> {
    type Error = String;

    async fn load(&self, id: &String) -> Result<Counter, String> {
        self.loads.fetch_add(1, Ordering::SeqCst);
        let delay = self.load_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay as u64)).await;
        }
        if id.starts_with("missing") {
            return Err(format!("no entity {id}"));
        }
        let d = self
            .durable
            .lock()
            .map_err(|e| e.to_string())?
            .get(id)
            .cloned();
        let d = d.unwrap_or(Durable {
            value: 0,
            log: Vec::new(),
        });
        Ok(Counter {
            id: id.clone(),
            value: d.value,
            log: d.log,
            last_cycle_at: None,
        })
    }

    async fn persist(&self, id: &String, (state, snapshot): (Durable, bool)) -> Result<(), String> {
        let delay = self.persist_delay_ms.load(Ordering::SeqCst);
        if delay > 0 {
            tokio::time::sleep(Duration::from_millis(delay as u64)).await;
        }
        if self.fail_persist.load(Ordering::SeqCst) {
            return Err("disk on fire".into());
        }
        if snapshot {
            self.snapshots.fetch_add(1, Ordering::SeqCst);
        }
        self.durable
            .lock()
            .map_err(|e| e.to_string())?
            .insert(id.clone(), state);
        Ok(())
    }
}

fn config() -> RuntimeConfig {
    RuntimeConfig {
        throttle_interval: Duration::ZERO,
        idle_timeout: Duration::from_secs(3600),
        max_resident: 1000,
        passivations_per_second: 10_000,
        mailbox_capacity: 10_000,
        restart: RestartPolicy {
            max_restarts: 2,
            window: Duration::from_secs(60),
            backoff: Duration::from_millis(50),
        },
        drain_concurrency: 8,
    }
}

async fn start(
    config: RuntimeConfig,
) -> (Runtime<Counter, Arc<MemoryJournal>>, Arc<MemoryJournal>) {
    let journal = Arc::new(MemoryJournal::default());
    let runtime = Runtime::start(journal.clone(), config)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    (runtime, journal)
}

async fn get(rt: &Runtime<Counter, Arc<MemoryJournal>>, id: &str) -> (i64, Vec<i64>) {
    match rt.call(&id.to_owned(), Command::Get).await {
        Ok(Reply::Value(v, log)) => (v, log),
        other => panic!("get {id}: {other:?}"),
    }
}

fn durable(journal: &MemoryJournal, id: &str) -> Option<Durable> {
    journal.durable.lock().ok()?.get(id).cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thousands_of_concurrent_calls_activate_an_entity_once() {
    let (rt, journal) = start(config()).await;
    journal.load_delay_ms.store(20, Ordering::SeqCst);
    let tasks: Vec<_> = (0..3000)
        .map(|_| {
            let rt = rt.clone();
            tokio::spawn(async move { rt.call(&"hot".to_owned(), Command::Get).await })
        })
        .collect();
    for t in tasks {
        assert!(matches!(t.await, Ok(Ok(Reply::Value(0, _)))));
    }
    assert_eq!(journal.loads.load(Ordering::SeqCst), 1);
    assert_eq!(rt.resident_count(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_apply_one_at_a_time_in_arrival_order() {
    let (rt, _) = start(config()).await;
    let id = "ordered".to_owned();
    for n in 1..=50 {
        assert_eq!(
            rt.call(&id, Command::Add(n)).await.ok(),
            Some(Reply::Applied(n * (n + 1) / 2))
        );
    }
    // Concurrent senders: each one's own commands keep their order.
    let senders: Vec<_> = (0..4i64)
        .map(|s| {
            let rt = rt.clone();
            let id = id.clone();
            tokio::spawn(async move {
                for k in 0..25i64 {
                    let _ = rt.call(&id, Command::Add(1000 * (s + 1) + k)).await;
                }
            })
        })
        .collect();
    for s in senders {
        let _ = s.await;
    }
    let (value, log) = get(&rt, "ordered").await;
    assert_eq!(log.len(), 150);
    assert_eq!(value, log.iter().sum::<i64>());
    for s in 1..=4 {
        let mine: Vec<i64> = log.iter().copied().filter(|v| v / 1000 == s).collect();
        assert_eq!(mine, (0..25).map(|k| 1000 * s + k).collect::<Vec<_>>());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_throttle_admits_one_cycle_per_interval_under_concurrency() {
    let (rt, journal) = start(RuntimeConfig {
        throttle_interval: Duration::from_millis(400),
        ..config()
    })
    .await;
    let id = "throttled".to_owned();
    // Activate first, so that all calls land inside one interval.
    get(&rt, &id).await;
    let calls: Vec<_> = (0..64)
        .map(|_| {
            let rt = rt.clone();
            let id = id.clone();
            tokio::spawn(async move { rt.call(&id, Command::Add(1)).await })
        })
        .collect();
    let mut applied = 0;
    let mut throttled = 0;
    for c in calls {
        match c.await {
            Ok(Ok(Reply::Applied(1))) => applied += 1,
            Ok(Ok(Reply::Throttled(v))) => {
                assert!(v == 0 || v == 1, "throttled reply carried {v}");
                throttled += 1;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!((applied, throttled), (1, 63));
    assert_eq!(durable(&journal, "throttled").map(|d| d.value), Some(1));
    tokio::time::sleep(Duration::from_millis(450)).await;
    assert_eq!(
        rt.call(&id, Command::Add(1)).await.ok(),
        Some(Reply::Applied(2))
    );
    // Reads are never throttled.
    assert_eq!(get(&rt, "throttled").await.0, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panic_restarts_only_that_entity_from_durable_state() {
    let (rt, journal) = start(config()).await;
    let (a, b) = ("fragile".to_owned(), "steady".to_owned());
    assert!(rt.call(&a, Command::Add(5)).await.is_ok());
    assert!(rt.call(&b, Command::Add(7)).await.is_ok());
    let loads = journal.loads.load(Ordering::SeqCst);
    let boom = rt.call(&a, Command::Explode).await;
    assert!(matches!(boom, Err(CallError::Interrupted)), "{boom:?}");
    // The other entity never notices.
    assert_eq!(get(&rt, "steady").await.0, 7);
    // The fragile one comes back with its durable state.
    let mut value = None;
    for _ in 0..100 {
        if let Ok(Reply::Value(v, _)) = rt.call(&a, Command::Get).await {
            value = Some(v);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(value, Some(5));
    assert!(
        journal.loads.load(Ordering::SeqCst) > loads,
        "not reloaded from the journal"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_entity_that_keeps_failing_waits_for_an_explicit_restart() {
    let (rt, _) = start(config()).await;
    let id = "doomed".to_owned();
    assert!(rt.call(&id, Command::Add(3)).await.is_ok());
    // Two immediate restarts, one after the backoff, then failed.
    let mut outcomes = Vec::new();
    for _ in 0..40 {
        let r = rt.call(&id, Command::Explode).await;
        let failed = matches!(r, Err(CallError::Failed));
        outcomes.push(r.map(|_| ()).map_err(|e| e.to_string()));
        if failed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    assert!(
        matches!(rt.call(&id, Command::Get).await, Err(CallError::Failed)),
        "{outcomes:?}"
    );
    assert!(
        rt.call(&"bystander".to_owned(), Command::Add(1))
            .await
            .is_ok()
    );
    assert!(rt.is_failed(&id));
    assert_eq!(rt.failed_ids(), std::slice::from_ref(&id));
    // Failed is not resident; the bystander is, in its group.
    assert_eq!((rt.resident_in(&'d'), rt.resident_in(&'b')), (0, 1));
    // The supervision log tells the story, reason included.
    let kinds: Vec<IncidentKind> = rt
        .incidents()
        .iter()
        .filter(|i| i.id == "doomed")
        .map(|i| i.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            IncidentKind::Restarted,
            IncidentKind::Restarted,
            IncidentKind::BackingOff,
            IncidentKind::MarkedFailed
        ]
    );
    assert!(rt.incidents().iter().all(|i| i.reason.contains("boom")));
    assert_eq!(rt.counts().restarts, 3);
    rt.restart(&id).await.unwrap_or_else(|e| panic!("{e}"));
    assert!(!rt.is_failed(&id));
    assert!(rt.failed_ids().is_empty());
    assert_eq!(rt.resident_in(&'d'), 1);
    assert_eq!(get(&rt, "doomed").await.0, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn residents_are_counted_per_group_as_they_come_and_go() {
    let (rt, _) = start(config()).await;
    for id in ["a1", "a2", "a3", "b1"] {
        assert!(rt.call(&id.to_owned(), Command::Add(1)).await.is_ok());
    }
    assert_eq!(
        (
            rt.resident_in(&'a'),
            rt.resident_in(&'b'),
            rt.resident_in(&'c')
        ),
        (3, 1, 0)
    );
    rt.passivate(&"a1".to_owned()).await;
    rt.evict(&"a2".to_owned()).await;
    rt.restart(&"b1".to_owned())
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!((rt.resident_in(&'a'), rt.resident_in(&'b')), (1, 1));
    // Back by the next call.
    assert!(rt.call(&"a1".to_owned(), Command::Get).await.is_ok());
    assert_eq!(rt.resident_in(&'a'), 2);
    rt.shutdown().await;
    assert_eq!((rt.resident_in(&'a'), rt.resident_in(&'b')), (0, 0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lowered_cap_passivates_the_least_recently_used_down_to_it() {
    let (rt, journal) = start(config()).await;
    let ids: Vec<String> = (0..200).map(|i| format!("e{i:03}")).collect();
    for id in &ids {
        assert!(rt.call(id, Command::Add(1)).await.is_ok());
        // Distinct use times: the LRU order is the creation order.
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    assert_eq!(rt.resident_count(), 200);
    rt.reconfigure(RuntimeConfig {
        max_resident: 50,
        passivations_per_second: 1000,
        ..config()
    });
    assert_eq!(rt.config().max_resident, 50);
    for _ in 0..500 {
        if rt.resident_count() <= 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(rt.resident_count(), 50);
    // The 50 used last stayed; the 150 before them were snapshotted and stopped.
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(rt.is_resident(id), i >= 150, "{id}");
    }
    assert_eq!(journal.snapshots.load(Ordering::SeqCst), 150);
    assert_eq!(rt.counts().passivations, 150);
    assert_eq!(rt.counts().activations, 200);
    assert_eq!(get(&rt, "e000").await.0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_throttle_interval_and_mailbox_bound_apply_to_the_next_call() {
    let (rt, journal) = start(RuntimeConfig {
        throttle_interval: Duration::from_secs(3600),
        ..config()
    })
    .await;
    let id = "tuned".to_owned();
    assert_eq!(
        rt.call(&id, Command::Add(1)).await.ok(),
        Some(Reply::Applied(1))
    );
    assert_eq!(
        rt.call(&id, Command::Add(1)).await.ok(),
        Some(Reply::Throttled(1))
    );
    assert_eq!(rt.counts().throttled, 1);
    rt.reconfigure(config());
    // The resident actor's next cycle sees the zero interval.
    assert_eq!(
        rt.call(&id, Command::Add(1)).await.ok(),
        Some(Reply::Applied(2))
    );
    // A mailbox of one: a second call while one is being persisted is refused. (The
    // place of an answered call comes back just after its answer: let it.)
    rt.reconfigure(RuntimeConfig {
        mailbox_capacity: 1,
        ..config()
    });
    tokio::time::sleep(Duration::from_millis(20)).await;
    journal.persist_delay_ms.store(100, Ordering::SeqCst);
    let slow = {
        let rt = rt.clone();
        let id = id.clone();
        tokio::spawn(async move { rt.call(&id, Command::Add(1)).await })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    assert!(matches!(
        rt.call(&id, Command::Get).await,
        Err(CallError::Overloaded)
    ));
    assert!(matches!(slow.await, Ok(Ok(Reply::Applied(3)))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_restart_policy_applies_to_the_next_failure() {
    let (rt, _) = start(config()).await;
    let id = "brittle".to_owned();
    assert!(rt.call(&id, Command::Add(2)).await.is_ok());
    rt.reconfigure(RuntimeConfig {
        restart: RestartPolicy {
            max_restarts: 0,
            window: Duration::from_secs(60),
            backoff: Duration::from_secs(3600),
        },
        ..config()
    });
    let _ = rt.call(&id, Command::Explode).await;
    // No immediate restart allowed any more: the first failure backs off.
    let mut kinds = Vec::new();
    for _ in 0..100 {
        kinds = rt.incidents().iter().map(|i| i.kind).collect();
        if !kinds.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(kinds, [IncidentKind::BackingOff]);
    assert!(matches!(
        rt.call(&id, Command::Get).await,
        Err(CallError::Interrupted)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_persist_fails_the_call_and_discards_the_change() {
    let (rt, journal) = start(config()).await;
    let id = "unlucky".to_owned();
    assert!(rt.call(&id, Command::Add(10)).await.is_ok());
    journal.fail_persist.store(true, Ordering::SeqCst);
    let r = rt.call(&id, Command::Add(5)).await;
    assert!(matches!(r, Err(CallError::Journal(_))), "{r:?}");
    journal.fail_persist.store(false, Ordering::SeqCst);
    let mut value = None;
    for _ in 0..100 {
        if let Ok(Reply::Value(v, _)) = rt.call(&id, Command::Get).await {
            value = Some(v);
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(value, Some(10), "the unpersisted +5 must be gone");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_least_recently_used_goes_first_beyond_the_cap() {
    let (rt, journal) = start(RuntimeConfig {
        max_resident: 3,
        ..config()
    })
    .await;
    for id in ["a", "b", "c"] {
        assert!(rt.call(&id.to_owned(), Command::Add(1)).await.is_ok());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // "a" is used again: "b" is now the least recently used.
    get(&rt, "a").await;
    tokio::time::sleep(Duration::from_millis(5)).await;
    assert!(rt.call(&"d".to_owned(), Command::Add(1)).await.is_ok());
    let mut evicted = false;
    for _ in 0..200 {
        if !rt.is_resident(&"b".to_owned()) {
            evicted = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert!(evicted, "b is still resident");
    for id in ["a", "c", "d"] {
        assert!(rt.is_resident(&id.to_owned()), "{id} was passivated");
    }
    // "b" stops being resident when its passivation starts; it leaves the count once its
    // snapshot is written and its actor has stopped.
    for _ in 0..200 {
        if rt.resident_count() == 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(rt.resident_count(), 3);
    assert_eq!(journal.snapshots.load(Ordering::SeqCst), 1);
    assert_eq!(durable(&journal, "b").map(|d| d.value), Some(1));
    // It comes back transparently.
    assert_eq!(get(&rt, "b").await.0, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_actors_are_passivated_with_a_snapshot() {
    let (rt, journal) = start(RuntimeConfig {
        idle_timeout: Duration::from_millis(60),
        ..config()
    })
    .await;
    let id = "sleepy".to_owned();
    assert!(rt.call(&id, Command::Add(4)).await.is_ok());
    assert!(rt.is_resident(&id));
    // Passivated = out of the registry's live set and, once its snapshot is written,
    // out of the resident count (the count drops last).
    let mut passivated = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if !rt.is_resident(&id) && rt.resident_count() == 0 {
            passivated = true;
            break;
        }
    }
    assert!(passivated);
    assert_eq!(journal.snapshots.load(Ordering::SeqCst), 1);
    assert_eq!(get(&rt, "sleepy").await.0, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_mailbox_refuses_at_once() {
    let (rt, journal) = start(RuntimeConfig {
        mailbox_capacity: 2,
        ..config()
    })
    .await;
    let id = "busy".to_owned();
    get(&rt, "busy").await;
    journal.persist_delay_ms.store(100, Ordering::SeqCst);
    let calls: Vec<_> = (0..8)
        .map(|_| {
            let rt = rt.clone();
            let id = id.clone();
            tokio::spawn(async move { rt.call(&id, Command::Add(1)).await })
        })
        .collect();
    let mut overloaded = 0;
    let mut applied = 0;
    for c in calls {
        match c.await {
            Ok(Err(CallError::Overloaded)) => overloaded += 1,
            Ok(Ok(Reply::Applied(_))) => applied += 1,
            other => panic!("{other:?}"),
        }
    }
    assert!(overloaded >= 5, "only {overloaded} refused");
    assert!(applied >= 1);
    assert_eq!(get(&rt, "busy").await.0, applied);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_entities_answer_the_journal_error_and_leave_nothing_behind() {
    let (rt, _) = start(config()).await;
    let r = rt.call(&"missing-1".to_owned(), Command::Get).await;
    assert!(
        matches!(r, Err(CallError::Journal(ref m)) if m.contains("no entity")),
        "{r:?}"
    );
    assert_eq!(rt.resident_count(), 0);
    assert!(!rt.is_resident(&"missing-1".to_owned()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drain_passivates_every_actor_and_refuses_new_calls() {
    let (rt, journal) = start(config()).await;
    for i in 0..20 {
        assert!(rt.call(&format!("e{i}"), Command::Add(i)).await.is_ok());
    }
    rt.shutdown().await;
    assert_eq!(journal.snapshots.load(Ordering::SeqCst), 20);
    assert_eq!(rt.resident_count(), 0);
    for i in 0..20 {
        assert_eq!(
            durable(&journal, &format!("e{i}")).map(|d| d.value),
            Some(i)
        );
    }
    assert!(matches!(
        rt.call(&"e1".to_owned(), Command::Get).await,
        Err(CallError::ShuttingDown)
    ));
}
