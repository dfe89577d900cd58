//! `GET /admin/`: the status page a person reads. Server-rendered HTML, no script, nothing
//! loaded from anywhere (styles and charts inline); it refreshes itself every 5 seconds.

use std::fmt::Write;

use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};

use super::Admin;
use super::actors::{ActorsView, view};
use super::chart::{Frame, Series, chart, escape};
use super::sampler::Sample;
use crate::config::Setting;
use crate::timestamp::Timestamp;

/// The charts' frame: the sampler's ten minutes of seconds.
const TEN_MINUTES: Frame<'static> = Frame {
    slots: super::sampler::KEPT,
    labels: ["-10 min", "-5 min", "now"],
    markers: &[],
};

/// Seconds between the page's own refreshes.
const REFRESH_SECS: u32 = 5;

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}\
h1{font-size:1.4em;margin:0 0 .2em}h2{font-size:1.1em;margin:1.4em 0 .4em}\
.tiles{display:flex;flex-wrap:wrap;gap:.8em}.tile{border:1px solid #ccc;border-radius:6px;\
padding:.5em .8em;min-width:8em}.tile b{display:block;font-size:1.5em}\
.charts{display:flex;flex-wrap:wrap;gap:1em}figure.chart{margin:0;width:360px}\
figcaption{font-size:.9em;margin-bottom:.2em}table{border-collapse:collapse}\
td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:left;vertical-align:top}\
.muted{color:#777}code{font-size:.95em}";

pub async fn show(State(admin): State<Admin>) -> Response {
    let page = render(
        &view(&admin),
        &admin.sampler.samples(),
        &admin.reloader.settings(),
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(page)).into_response()
}

/// The whole page.
pub fn render(actors: &ActorsView, samples: &[Sample], settings: &[Setting]) -> String {
    let mut page = String::with_capacity(64 * 1024);
    let _ = write!(
        page,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH_SECS}"><title>Identity OS — status</title><style>{STYLE}</style></head><body><h1>Identity OS — status</h1><p class="muted">{} · refreshes every {REFRESH_SECS} s · charts: the last 10 minutes, one point a second</p>"#,
        Timestamp::now().to_rfc3339()
    );
    tiles(&mut page, actors);
    charts(&mut page, actors, samples);
    failing(&mut page, actors);
    mailboxes(&mut page, actors);
    config(&mut page, settings);
    page.push_str("</body></html>");
    page
}

fn tiles(page: &mut String, a: &ActorsView) {
    let r = &a.rates;
    page.push_str(r#"<div class="tiles">"#);
    let _ = write!(
        page,
        r#"<div class="tile">resident actors<b><span id="resident">{}</span></b>of <span id="max-resident">{}</span></div>"#,
        a.resident, a.max_resident
    );
    for (label, value) in [
        ("activations/s", r.activations),
        ("passivations/s", r.passivations),
        ("restarts/s", r.restarts),
        ("throttled calls/s", r.throttled),
    ] {
        let _ = write!(
            page,
            r#"<div class="tile">{label}<b>{value:.1}</b>last 10 s</div>"#
        );
    }
    let _ = write!(
        page,
        r#"<div class="tile">failed instances<b id="failed-count">{}</b>until restarted</div></div>"#,
        a.failed.len()
    );
}

fn charts(page: &mut String, a: &ActorsView, samples: &[Sample]) {
    // Rates are differences of consecutive samples: the first sample has none.
    let pairs: Vec<(&Sample, &Sample)> = samples.iter().zip(samples.iter().skip(1)).collect();
    let rate = |pick: fn(&Sample) -> u64| -> Vec<Option<f64>> {
        pairs
            .iter()
            .map(|(old, new)| {
                let secs = new.at.duration_since(old.at).ok()?.as_secs_f64();
                (secs > 0.0).then(|| pick(new).saturating_sub(pick(old)) as f64 / secs)
            })
            .collect()
    };
    let each = |pick: fn(&Sample) -> Option<f64>| -> Vec<Option<f64>> {
        samples.iter().skip(1).map(pick).collect()
    };
    page.push_str(r#"<h2>Activity</h2><div class="charts">"#);
    let charts = [
        chart(
            "Requests per second",
            "",
            &TEN_MINUTES,
            &[Series {
                name: "requests",
                color: "#1f77b4",
                points: each(|s| Some(s.requests.count as f64)),
            }],
        ),
        chart(
            "Request latency p99",
            "ms",
            &TEN_MINUTES,
            &[Series {
                name: "p99",
                color: "#d62728",
                points: each(|s| (s.requests.count > 0).then(|| ms(s.requests.p99))),
            }],
        ),
        chart(
            &format!("Resident actors (cap {})", a.max_resident),
            "",
            &TEN_MINUTES,
            &[Series {
                name: "resident",
                color: "#2ca02c",
                points: each(|s| Some(s.resident as f64)),
            }],
        ),
        chart(
            "Actors per second",
            "",
            &TEN_MINUTES,
            &[
                Series {
                    name: "activations",
                    color: "#1f77b4",
                    points: rate(|s| s.counts.activations),
                },
                Series {
                    name: "passivations",
                    color: "#ff7f0e",
                    points: rate(|s| s.counts.passivations),
                },
                Series {
                    name: "restarts",
                    color: "#d62728",
                    points: rate(|s| s.counts.restarts),
                },
            ],
        ),
        chart(
            "Throttled calls per second",
            "",
            &TEN_MINUTES,
            &[Series {
                name: "throttled",
                color: "#9467bd",
                points: rate(|s| s.counts.throttled),
            }],
        ),
        chart(
            "Group commit size (appends)",
            "",
            &TEN_MINUTES,
            &[Series {
                name: "mean",
                color: "#8c564b",
                points: each(|s| {
                    let b = s.batch_jobs;
                    (b.count > 0).then(|| b.sum as f64 / b.count as f64)
                }),
            }],
        ),
        chart(
            "Group commit latency p99",
            "ms",
            &TEN_MINUTES,
            &[Series {
                name: "p99",
                color: "#e377c2",
                points: each(|s| (s.commits.count > 0).then(|| ms(s.commits.p99))),
            }],
        ),
        chart(
            "Mailbox depth (deepest queued call)",
            "",
            &TEN_MINUTES,
            &[Series {
                name: "max",
                color: "#7f7f7f",
                points: each(|s| Some(s.mailbox_depth.max as f64)),
            }],
        ),
    ];
    for c in charts {
        page.push_str(&c);
    }
    page.push_str("</div>");
}

fn failing(page: &mut String, a: &ActorsView) {
    page.push_str("<h2>Failing instances</h2>");
    if a.failed.is_empty() {
        page.push_str(r#"<p class="muted">None failed now.</p>"#);
    } else {
        let _ = write!(
            page,
            "<p>Failed now (each refuses calls until <code>POST /admin/instances/{{id}}/restart</code>): {}</p>",
            a.failed
                .iter()
                .map(|id| format!("<code>{}</code>", escape(id)))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    let p = &a.restart_policy;
    let _ = write!(
        page,
        r#"<p class="muted">Restart policy: {} immediate restarts within {} ms, then one after {} ms, then failed.</p>"#,
        p.restart_max, p.restart_window_ms, p.restart_backoff_ms
    );
    if a.incidents.is_empty() {
        page.push_str(r#"<p class="muted">No restart since start.</p>"#);
        return;
    }
    page.push_str("<table><tr><th>time</th><th>instance</th><th>what</th><th>reason</th></tr>");
    for i in &a.incidents {
        let _ = write!(
            page,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&i.at),
            escape(&i.id),
            i.kind,
            escape(&i.reason)
        );
    }
    page.push_str("</table>");
}

fn mailboxes(page: &mut String, a: &ActorsView) {
    let _ = write!(
        page,
        "<h2>Deepest mailboxes</h2><p class=\"muted\">Calls queued per instance; beyond {} a call is refused with 503.</p>",
        a.mailbox_capacity
    );
    if a.deepest_mailboxes.is_empty() {
        page.push_str(r#"<p class="muted">Nothing queued.</p>"#);
        return;
    }
    page.push_str("<table><tr><th>instance</th><th>queued</th></tr>");
    for m in &a.deepest_mailboxes {
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td>{}</td></tr>",
            escape(&m.id),
            m.queued
        );
    }
    page.push_str("</table>");
}

fn config(page: &mut String, settings: &[Setting]) {
    page.push_str("<h2>Effective configuration</h2><p class=\"muted\">Live settings change on SIGHUP or <code>POST /admin/reload</code>; the others need a restart.</p><table><tr><th>setting</th><th>value</th><th>from</th><th>live</th></tr>");
    for s in settings {
        let _ = write!(
            page,
            "<tr><td><code>{}</code></td><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
            escape(&s.key),
            escape(&s.value.to_string()),
            escape(&s.origin.to_string()),
            if s.live { "yes" } else { "" }
        );
    }
    page.push_str("</table>");
}

/// Microseconds as milliseconds.
fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}
