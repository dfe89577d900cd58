//! The HTTP/1.1 listener: accepts connections up to a bound, and closes the ones that
//! do not send a request head, or sit idle, within their time (docs/http.md, "Limits and
//! timeouts").
//!
//! axum's `serve` has none of this: a client that sends nothing, or trickles its head a
//! byte a second, kept its connection forever, and enough of them used up the process's
//! file descriptors. Here each connection runs hyper's HTTP/1.1 state machine beside a
//! timer that reads the connection's [`Activity`]:
//! - a head must arrive within `header_timeout` (from accept, or from its first byte);
//! - between requests a connection may idle for `idle_timeout`;
//! - a body's own deadline is the extractor's (`body_timeout`, 408).
//!
//! Beyond `max_connections`, [`OVERFLOW`] more connections are served one request each
//! with only the operations routes (the rest answer 503), so that a full server still
//! answers its health checks and metrics; beyond those, connections are closed as they
//! are accepted.

mod activity;
mod io;
mod service;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, oneshot};

use super::shutdown::Shutdown;
use activity::Activity;
use io::ConnIo;
use service::Gate;

/// Connections served beyond `max_connections`, for the operations routes.
pub const OVERFLOW: usize = 64;
/// How long a connection over the bound may take to send its one request head.
const OVERFLOW_HEADER_TIMEOUT: Duration = Duration::from_secs(2);

/// The listener's bounds, from `[server]` in config.
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub max_connections: usize,
    pub header_timeout: Duration,
    pub idle_timeout: Duration,
    /// Largest request head (request line and headers); larger ones get 431.
    pub max_head_bytes: usize,
    /// Longest request target; longer ones get 414.
    pub max_uri_bytes: usize,
}

/// Serves `app` on `listener` until `shutdown`, then waits for the open connections to
/// finish their requests (each is told to close once idle).
pub async fn serve<S>(listener: TcpListener, app: S, limits: ConnLimits, shutdown: Shutdown)
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let open = Arc::new(Open::default());
    let mut accept_errors = AcceptErrors::default();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.wait() => break,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                accept_errors.note(&e).await;
                continue;
            }
        };
        let ticket = Open::enter(&open);
        if ticket.count > limits.max_connections + OVERFLOW {
            metrics::counter!("identity_os_http_connections_refused_total").increment(1);
            continue;
        }
        let overflow = ticket.count > limits.max_connections;
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY");
        }
        let drain = ticket.drain_signal();
        tokio::spawn(connection(
            stream,
            app.clone(),
            limits,
            overflow,
            ticket,
            drain,
        ));
    }
    open.drain_all();
    open.all_closed().await;
}

/// One connection, from accept to close.
async fn connection<S>(
    stream: TcpStream,
    app: S,
    limits: ConnLimits,
    overflow: bool,
    _ticket: Ticket,
    mut drain: oneshot::Receiver<()>,
) where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send,
{
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(ConnIo::new(stream, activity.clone()));
    let gate = Gate {
        app,
        activity: activity.clone(),
        overflow,
        max_uri_bytes: limits.max_uri_bytes,
    };
    let header_timeout = if overflow {
        limits.header_timeout.min(OVERFLOW_HEADER_TIMEOUT)
    } else {
        limits.header_timeout
    };
    let conn = http1::Builder::new()
        // The timeouts are ours (hyper's would run one clock for head and idle alike).
        .header_read_timeout(None)
        .max_header_size(limits.max_head_bytes)
        .max_buf_size(limits.max_head_bytes)
        .keep_alive(!overflow)
        .serve_connection(io, gate);
    let mut conn = std::pin::pin!(conn);
    let mut draining = false;
    loop {
        // Never sleep longer than a head may take: a head begun while idle must be
        // noticed in time for its own deadline.
        let now = Instant::now();
        let check = now + header_timeout;
        let due = activity
            .deadline(header_timeout, limits.idle_timeout)
            .map_or(check, |d| d.min(check));
        tokio::select! {
            served = conn.as_mut() => {
                if let Err(e) = served {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                break;
            }
            () = tokio::time::sleep_until(due.into()) => {
                let expired = activity
                    .deadline(header_timeout, limits.idle_timeout)
                    .is_some_and(|d| d <= Instant::now());
                if expired {
                    metrics::counter!("identity_os_http_connections_timed_out_total").increment(1);
                    break;
                }
            }
            _ = &mut drain, if !draining => {
                conn.as_mut().graceful_shutdown();
                draining = true;
            }
        }
    }
}

/// The open connections.
#[derive(Default)]
struct Open {
    count: AtomicUsize,
    all_closed: Notify,
    next_id: AtomicU64,
    /// How to tell each connection to close once idle. One channel each, rather than
    /// one `Notify` all wait on: a connection's task polls its shutdown signal on every
    /// wake, and a shared `Notify` takes a lock shared by every connection each time.
    drains: Mutex<HashMap<u64, oneshot::Sender<()>>>,
}

/// A connection's place among the open ones, given back when it is dropped.
struct Ticket {
    open: Arc<Open>,
    id: u64,
    /// Open connections, this one included, when it was accepted.
    count: usize,
}

impl Open {
    fn enter(open: &Arc<Open>) -> Ticket {
        let count = open.count.fetch_add(1, Ordering::AcqRel) + 1;
        metrics::gauge!("identity_os_http_connections").increment(1.0);
        Ticket {
            open: open.clone(),
            id: open.next_id.fetch_add(1, Ordering::Relaxed),
            count,
        }
    }

    /// Tells every open connection to close once its request is answered.
    fn drain_all(&self) {
        let drains = std::mem::take(&mut *self.drains.lock().unwrap_or_else(|e| e.into_inner()));
        for (_, drain) in drains {
            let _ = drain.send(());
        }
    }

    async fn all_closed(&self) {
        loop {
            let closed = self.all_closed.notified();
            let mut closed = std::pin::pin!(closed);
            closed.as_mut().enable();
            if self.count.load(Ordering::Acquire) == 0 {
                return;
            }
            closed.await;
        }
    }
}

impl Ticket {
    /// The signal this connection is told to close by at shutdown.
    fn drain_signal(&self) -> oneshot::Receiver<()> {
        let (tx, rx) = oneshot::channel();
        let mut drains = self.open.drains.lock().unwrap_or_else(|e| e.into_inner());
        drains.insert(self.id, tx);
        rx
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.open
            .drains
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.id);
        let left = self.open.count.fetch_sub(1, Ordering::AcqRel) - 1;
        metrics::gauge!("identity_os_http_connections").decrement(1.0);
        if left == 0 {
            self.open.all_closed.notify_waiters();
        }
    }
}

/// Accept failures: a connection reset before it was accepted is nothing; running out
/// of file descriptors is logged (once a second at most) and waited out briefly.
#[derive(Default)]
struct AcceptErrors {
    logged: Option<Instant>,
}

impl AcceptErrors {
    async fn note(&mut self, e: &std::io::Error) {
        use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
        if matches!(
            e.kind(),
            ConnectionAborted | ConnectionRefused | ConnectionReset
        ) {
            return;
        }
        if self
            .logged
            .is_none_or(|at| at.elapsed() >= Duration::from_secs(1))
        {
            tracing::error!(error = %e, "accept error");
            self.logged = Some(Instant::now());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
