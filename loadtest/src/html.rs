//! `--html FILE`: the report as one self-contained page — inline SVG charts, no script,
//! nothing loaded from anywhere — that opens offline: throughput and latency second by
//! second with the stage boundaries marked, the latency distribution, a table per request
//! kind, errors by kind and status, the checks (CPU per answer among them), the settings.

use std::fmt::Write;

use crate::chart::{Frame, Series, chart, escape};
use crate::report::{Line, Report};

const STYLE: &str = "body{font:14px system-ui,sans-serif;margin:1.5em;color:#222;max-width:1200px}\
h1{font-size:1.4em}h2{font-size:1.1em;margin:1.4em 0 .4em}table{border-collapse:collapse}\
td,th{border-bottom:1px solid #ddd;padding:.2em .6em;text-align:right}\
td:first-child,th:first-child{text-align:left}.charts{display:flex;flex-wrap:wrap;gap:1em}\
figure.chart{margin:0;width:360px}figcaption{font-size:.9em}.problem{color:#b00}\
.muted{color:#777}";

pub fn render(report: &Report) -> String {
    let mut page = String::with_capacity(64 * 1024);
    let title = format!("loadtest {} ({})", report.scenario, report.mode);
    let _ = write!(
        page,
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>"#,
        escape(&title),
        escape(&title)
    );
    if !report.description.is_empty() {
        let _ = write!(page, "<p>{}</p>", escape(&report.description));
    }
    verdict(&mut page, report);
    summary(&mut page, report);
    if let Some(ours) = report.lines.first() {
        charts(&mut page, report, ours);
        kinds(&mut page, ours);
        errors(&mut page, ours);
    }
    list(&mut page, "Checks", &report.checks, "");
    settings(&mut page, report);
    page.push_str("</body></html>");
    page
}

fn verdict(page: &mut String, report: &Report) {
    if report.problems.is_empty() {
        page.push_str(
            r#"<p id="verdict">Every answer passed its check and every threshold held.</p>"#,
        );
    } else {
        list(page, "Problems", &report.problems, "problem");
    }
}

fn list(page: &mut String, title: &str, items: &[String], class: &str) {
    if items.is_empty() {
        return;
    }
    let _ = write!(page, r#"<h2>{title}</h2><ul class="{class}">"#);
    for item in items {
        let _ = write!(page, "<li>{}</li>", escape(item));
    }
    page.push_str("</ul>");
}

fn summary(page: &mut String, report: &Report) {
    page.push_str(r#"<h2>Summary</h2><table id="summary"><tr><th>target</th><th>answered</th><th>failed</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr>"#);
    for l in &report.lines {
        let [answered, rest @ ..] = l.figures();
        let _ = write!(
            page,
            r#"<tr><td>{}</td><td data-answered="{answered}">{answered}</td><td>{}</td></tr>"#,
            escape(&l.target),
            rest.join("</td><td>")
        );
    }
    page.push_str("</table>");
    for r in &report.ratios {
        let _ = write!(
            page,
            "<p>Throughput {} (same run): <b>{:.2}×</b></p>",
            escape(&r.of),
            r.value
        );
    }
}

fn charts(page: &mut String, report: &Report, ours: &Line) {
    let seconds = &ours.per_second_series;
    let slots = seconds.len().max(2);
    let span = seconds.len();
    let middle = format!("{} s", span / 2);
    let end = format!("{span} s");
    let markers: Vec<usize> = report
        .stage_ends_secs
        .iter()
        .map(|s| *s as usize)
        .filter(|s| *s > 0 && *s < span)
        .collect();
    let frame = Frame {
        slots,
        labels: ["0 s", &middle, &end],
        markers: &markers,
    };
    let each = |pick: fn(&crate::report::SecondLine) -> f64| -> Vec<Option<f64>> {
        seconds.iter().map(|s| Some(pick(s))).collect()
    };
    let plotted: u64 = seconds.iter().map(|s| s.answered).sum();
    let _ = write!(
        page,
        r#"<h2>Over time</h2><p class="muted">One point a second; dashed lines end the stages.</p><div class="charts"><div id="throughput" data-sum="{plotted}">"#
    );
    page.push_str(&chart(
        "Answers per second",
        "",
        &frame,
        &[
            Series {
                name: "answered",
                color: "#1f77b4",
                points: each(|s| s.answered as f64),
            },
            Series {
                name: "failed",
                color: "#d62728",
                points: each(|s| s.failed as f64),
            },
        ],
    ));
    page.push_str("</div><div id=\"latency\">");
    page.push_str(&chart(
        "Latency per second",
        "ms",
        &frame,
        &[
            Series {
                name: "p50",
                color: "#2ca02c",
                points: each(|s| s.p50_ms),
            },
            Series {
                name: "p90",
                color: "#ff7f0e",
                points: each(|s| s.p90_ms),
            },
            Series {
                name: "p99",
                color: "#d62728",
                points: each(|s| s.p99_ms),
            },
            Series {
                name: "max",
                color: "#7f7f7f",
                points: each(|s| s.max_ms),
            },
        ],
    ));
    let distribution = Frame {
        slots: ours.percentiles.len().max(2),
        labels: ["0 %", "99.7 %", "99.999 %"],
        markers: &[],
    };
    page.push_str("</div><div id=\"distribution\">");
    page.push_str(&chart(
        "Latency by percentile (log scale of 1/(1 − p))",
        "ms",
        &distribution,
        &[Series {
            name: "latency",
            color: "#9467bd",
            points: ours.percentiles.iter().map(|p| Some(p[1])).collect(),
        }],
    ));
    page.push_str("</div>");
    resources(page, report);
    page.push_str("</div>");
}

/// The server's memory, files and the database's processes, every 10 s (soak).
fn resources(page: &mut String, report: &Report) {
    let samples = &report.resources;
    if samples.len() < 2 {
        return;
    }
    let end = format!("{:.0} s", samples.last().map_or(0.0, |s| s.at_secs));
    let frame = Frame {
        slots: samples.len(),
        labels: ["start", "", &end],
        markers: &[],
    };
    page.push_str("<div id=\"memory\">");
    page.push_str(&chart(
        "Server resident memory (every 10 s)",
        "MiB",
        &frame,
        &[Series {
            name: "RSS",
            color: "#1f77b4",
            points: samples
                .iter()
                .map(|s| Some(s.rss_kib as f64 / 1024.0))
                .collect(),
        }],
    ));
    page.push_str("</div><div id=\"handles\">");
    page.push_str(&chart(
        "Open files and PostgreSQL processes",
        "",
        &frame,
        &[
            Series {
                name: "server's open files",
                color: "#ff7f0e",
                points: samples.iter().map(|s| Some(s.open_fds as f64)).collect(),
            },
            Series {
                name: "PostgreSQL processes",
                color: "#2ca02c",
                points: samples
                    .iter()
                    .map(|s| Some(s.postgres_processes as f64))
                    .collect(),
            },
        ],
    ));
    page.push_str("</div>");
}

fn kinds(page: &mut String, ours: &Line) {
    if ours.kinds.is_empty() {
        return;
    }
    page.push_str(r#"<h2>By request kind</h2><table id="kinds"><tr><th>kind</th><th>answered</th><th>failed</th><th>req/s</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>max ms</th></tr>"#);
    for (kind, k) in &ours.kinds {
        let _ = write!(
            page,
            r#"<tr data-kind="{}"><td>{}</td><td>{}</td><td>{}</td><td>{:.0}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td><td>{:.2}</td></tr>"#,
            escape(kind),
            escape(kind),
            k.answered,
            k.failed,
            k.per_second,
            k.p50_ms,
            k.p90_ms,
            k.p99_ms,
            k.max_ms
        );
    }
    page.push_str("</table>");
}

fn errors(page: &mut String, ours: &Line) {
    page.push_str(r#"<h2>Answers by status</h2><table id="statuses"><tr><th>status</th><th>answers</th></tr>"#);
    for (status, n) in &ours.by_status {
        let _ = write!(page, "<tr><td>{status}</td><td>{n}</td></tr>");
    }
    page.push_str("</table>");
    let tags: Vec<String> = ours.tags.iter().map(|(t, n)| format!("{t} {n}")).collect();
    let _ = write!(
        page,
        "<p>As the checks saw them: {}</p>",
        escape(&tags.join(", "))
    );
    let failures: Vec<String> = ours
        .failures
        .iter()
        .map(|(why, n)| format!("{n}× {why}"))
        .collect();
    if failures.is_empty() {
        page.push_str(r#"<p class="muted">No answer failed its check.</p>"#);
    } else {
        list(page, "Failed checks", &failures, "problem");
    }
}

fn settings(page: &mut String, report: &Report) {
    if report.settings.is_empty() {
        return;
    }
    page.push_str(r#"<h2>Settings</h2><table id="settings">"#);
    for [name, value] in &report.settings {
        let _ = write!(
            page,
            "<tr><td>{}</td><td style=\"text-align:left\">{}</td></tr>",
            escape(name),
            escape(value)
        );
    }
    page.push_str("</table>");
}
