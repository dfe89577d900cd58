//! Small inline SVG line charts, no script: the admin status page's (one value a second,
//! the last ten minutes) and the load tool's HTML report's (it includes this file).

use std::fmt::Write;

const WIDTH: f64 = 360.0;
const HEIGHT: f64 = 120.0;
/// Room for the y labels on the left and the x labels below.
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 16.0;
const TOP: f64 = 6.0;

/// One line of a chart; `None` where nothing was measured.
pub struct Series<'a> {
    pub name: &'a str,
    pub color: &'a str,
    pub points: Vec<Option<f64>>,
}

/// The x axis: `slots` points wide (a series shorter than that ends at the right edge),
/// labels at the left, the middle and the right, and dashed vertical lines at `markers`.
pub struct Frame<'a> {
    pub slots: usize,
    pub labels: [&'a str; 3],
    pub markers: &'a [usize],
}

/// An SVG chart of `series` in `frame`, titled with its series' names.
pub fn chart(title: &str, unit: &str, frame: &Frame<'_>, series: &[Series<'_>]) -> String {
    let slots = frame.slots;
    let top = series
        .iter()
        .flat_map(|s| s.points.iter().flatten())
        .fold(0.0f64, |a, &b| a.max(b));
    let scale = nice_ceiling(top);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<figure class="chart"><figcaption>{}"#,
        escape(title)
    );
    for s in series {
        let _ = write!(
            svg,
            r#" <span style="color:{}">&#9632; {}</span>"#,
            s.color,
            escape(s.name)
        );
    }
    let _ = write!(
        svg,
        r#"</figcaption><svg viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{}">"#,
        escape(title)
    );
    let plot_w = WIDTH - LEFT - 4.0;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y_of = |v: f64| TOP + plot_h - (v / scale * plot_h);
    for step in 0..=2 {
        let v = scale * f64::from(step) / 2.0;
        let y = y_of(v);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" font-size="9" text-anchor="end">{}{}</text>"##,
            WIDTH - 4.0,
            LEFT - 3.0,
            y + 3.0,
            short(v),
            unit
        );
    }
    let [first, middle, last] = frame.labels;
    for (x, label, anchor) in [
        (LEFT, first, "start"),
        (LEFT + plot_w / 2.0, middle, "middle"),
        (WIDTH - 4.0, last, "end"),
    ] {
        let label = escape(label);
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{:.1}" font-size="9" text-anchor="{anchor}">{label}</text>"#,
            HEIGHT - 3.0
        );
    }
    let x_of = |i: usize| LEFT + plot_w * (i as f64) / ((slots.max(2) - 1) as f64);
    for &m in frame.markers {
        let x = x_of(m);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#999" stroke-dasharray="3,3"/>"##,
            TOP + plot_h
        );
    }
    for s in series {
        // The points sit at the right end: a run shorter than the span starts late.
        let offset = slots.saturating_sub(s.points.len());
        for run in runs(&s.points) {
            let mut path = String::new();
            for (i, v) in run {
                let _ = write!(path, "{:.1},{:.1} ", x_of(offset + i), y_of(v));
            }
            let _ = write!(
                svg,
                r#"<polyline fill="none" stroke="{}" stroke-width="1.5" points="{}"/>"#,
                s.color,
                path.trim_end()
            );
        }
    }
    svg.push_str("</svg></figure>");
    svg
}

/// Text made safe for HTML.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Stretches of consecutive measured points, with their indices.
fn runs(points: &[Option<f64>]) -> Vec<Vec<(usize, f64)>> {
    let mut out: Vec<Vec<(usize, f64)>> = Vec::new();
    let mut current = Vec::new();
    for (i, p) in points.iter().enumerate() {
        match p {
            Some(v) => current.push((i, *v)),
            None if !current.is_empty() => out.push(std::mem::take(&mut current)),
            None => {}
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The smallest of 1, 2 or 5 times a power of ten at or above `v` (1 for nothing).
fn nice_ceiling(v: f64) -> f64 {
    if v.is_nan() || v <= 0.0 || v.is_infinite() {
        return 1.0;
    }
    let magnitude = 10f64.powf(v.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|c| *c >= v)
        .unwrap_or(10.0 * magnitude)
}

/// A y label: `12`, `1.5`, `12k`, `3.4M`.
fn short(v: f64) -> String {
    match v {
        v if v >= 1e6 => format!("{:.1}M", v / 1e6),
        v if v >= 1e4 => format!("{:.0}k", v / 1e3),
        v if v >= 10.0 || v == 0.0 => format!("{v:.0}"),
        v => format!("{v:.1}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_are_round_and_gaps_break_lines() {
        assert_eq!(nice_ceiling(0.0), 1.0);
        assert_eq!(nice_ceiling(3.2), 5.0);
        assert_eq!(nice_ceiling(101.0), 200.0);
        assert_eq!(nice_ceiling(1000.0), 1000.0);
        let frame = Frame {
            slots: 10,
            labels: ["0 s", "5 s", "10 s"],
            markers: &[4],
        };
        let svg = chart(
            "Requests",
            "/s",
            &frame,
            &[Series {
                name: "req",
                color: "#06c",
                points: vec![Some(1.0), Some(2.0), None, Some(4.0)],
            }],
        );
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert!(svg.contains(">5.0/s<"), "{svg}");
        assert!(!svg.contains("<script"));
        assert!(svg.contains("stroke-dasharray"), "no stage marker: {svg}");
    }
}
