//! The status page's figures, recorded from the same metrics Prometheus exports: a
//! `metrics` recorder installed beside the Prometheus one (a fanout) that keeps only the
//! histograms the page charts, each in a one-second [`Window`]. Everything else it
//! ignores, so that metric costs nothing more.

use std::sync::Arc;

use metrics::{Counter, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, SharedString, Unit};

use super::window::Window;

/// The windows the sampler empties every second.
#[derive(Default)]
pub struct Figures {
    /// Request durations, in microseconds.
    pub requests: Arc<Window>,
    /// Group-commit durations, in microseconds.
    pub commits: Arc<Window>,
    /// Appends per group commit.
    pub batch_jobs: Arc<Window>,
    /// A call's place in its instance's mailbox when it was queued.
    pub mailbox_depth: Arc<Window>,
}

/// Records into [`Figures`].
pub struct Recorder(pub Arc<Figures>);

/// A histogram handle: values times `scale` into `window`.
struct Into {
    window: Arc<Window>,
    scale: f64,
}

impl HistogramFn for Into {
    fn record(&self, value: f64) {
        // `as` saturates: negatives and NaN become 0.
        self.window.record((value * self.scale) as u64);
    }
}

impl metrics::Recorder for Recorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, _: &Key, _: &Metadata<'_>) -> Counter {
        Counter::noop()
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }

    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        let figures = &self.0;
        let (window, scale) = match key.name() {
            "identity_os_http_request_duration_seconds" => (&figures.requests, 1e6),
            "identity_os_storage_commit_seconds" => (&figures.commits, 1e6),
            "identity_os_storage_batch_jobs" => (&figures.batch_jobs, 1.0),
            "identity_os_actor_mailbox_depth" => (&figures.mailbox_depth, 1.0),
            _ => return Histogram::noop(),
        };
        Histogram::from_arc(Arc::new(Into {
            window: window.clone(),
            scale,
        }))
    }
}
