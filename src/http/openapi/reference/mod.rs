//! `/redoc`: the served document as one self-contained HTML reference, rendered on the
//! server from the same JSON `/openapi.json` answers (bounds, wrappers and responses
//! included), so the page cannot say less than the document.
//!
//! ReDoc itself is a JavaScript bundle that its crates load from a CDN; the crate that
//! embeds it (`footing`, `redoc-embedded`) needs rustc ≥ 1.98, and third-party bundles are
//! not committed here. So the page has no script and loads nothing: a navigation column,
//! the operations grouped by tag in the document's tag order (`/v1` first, the SDK dialect
//! last), and every schema as a table of its fields. Markdown in descriptions is rendered
//! (`markdown.rs`); types, bounds and links to schemas come from `schema.rs`.

use std::fmt::Write;

use serde_json::{Map, Value};

mod markdown;
mod schema;

use markdown::markdown;
use schema::{constraints, escape, schema_section, type_of};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

const STYLE: &str = "\
*{box-sizing:border-box}\
body{margin:0;font:15px/1.5 system-ui,sans-serif;color:#1b1f24;display:flex;align-items:flex-start}\
nav{position:sticky;top:0;width:22em;flex:none;height:100vh;overflow:auto;padding:1em;\
background:#f6f8fa;border-right:1px solid #d0d7de;font-size:13px}\
nav ul{list-style:none;margin:0 0 .8em;padding:0}nav li a{display:flex;gap:.4em;align-items:baseline;padding:.1em .3em;\
border-radius:3px;color:inherit;text-decoration:none;overflow-wrap:anywhere}\
nav .m{min-width:3.4em;font-size:10px}\
nav li a:hover{background:#e6ebf1}nav h2{font-size:13px;text-transform:uppercase;\
color:#57606a;margin:1em 0 .3em}nav h3{font-size:13px;margin:.6em 0 .2em}\
main{flex:1;min-width:0;max-width:66em;padding:1em 2em 50vh}\
section.op,section.schema{border-top:1px solid #d0d7de;padding-top:.5em;margin-top:1.5em}\
code,pre{font:13px ui-monospace,monospace;background:#f6f8fa;border-radius:3px}\
code{padding:0 .2em}pre{padding:.6em;overflow:auto;max-height:24em}\
table{border-collapse:collapse;width:100%;margin:.3em 0 .8em}\
th,td{border:1px solid #d0d7de;padding:.25em .5em;text-align:left;vertical-align:top}\
th{background:#f6f8fa;font-weight:600}td p{margin:0}\
.m{display:inline-block;min-width:4.2em;text-align:center;border-radius:3px;color:#fff;\
font:bold 12px ui-monospace,monospace;padding:.1em .3em;text-transform:uppercase}\
.get{background:#1f6feb}.post{background:#1a7f37}.patch{background:#9a6700}\
.put{background:#8250df}.delete{background:#cf222e}.req{color:#cf222e}\
.muted{color:#57606a}h4{margin:.8em 0 .2em}";

/// The page for `served`, the document `/openapi.json` answers.
pub fn page(served: &Value) -> String {
    let empty = Map::new();
    let title = text(served.pointer("/info/title"));
    let operations = grouped_operations(served);
    let schemas = served
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .unwrap_or(&empty);

    let mut html = String::with_capacity(256 * 1024);
    let _ = write!(
        html,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{} API reference</title><style>{STYLE}</style></head><body>",
        escape(title)
    );
    navigation(&mut html, title, &operations, schemas);
    html.push_str("<main>");
    introduction(&mut html, served);
    for group in &operations {
        let _ = write!(
            html,
            "<section id=\"tag-{0}\"><h2>{0}</h2>{1}",
            escape(&group.tag),
            markdown(&group.description)
        );
        for op in &group.operations {
            operation(&mut html, op, schemas);
        }
        html.push_str("</section>");
    }
    html.push_str("<section id=\"schemas\"><h2>Schemas</h2>");
    for (name, schema) in schemas {
        schema_section(&mut html, name, schema, schemas);
    }
    html.push_str("</section></main></body></html>");
    html
}

/// The operations of one tag, in the document's path order.
struct Group<'a> {
    tag: String,
    description: String,
    operations: Vec<Operation<'a>>,
}

struct Operation<'a> {
    id: String,
    method: &'static str,
    path: &'a str,
    op: &'a Value,
}

/// Operations grouped by their first tag, the groups in the order of the document's
/// `tags` (which lists `/v1`'s before the operations routes and the SDK dialect), with
/// any untagged or unlisted tag last.
fn grouped_operations(served: &Value) -> Vec<Group<'_>> {
    let mut groups: Vec<Group> = served
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| Group {
            tag: text(t.get("name")).to_owned(),
            description: text(t.get("description")).to_owned(),
            operations: Vec::new(),
        })
        .collect();
    let paths = served.get("paths").and_then(Value::as_object);
    for (path, item) in paths.into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let tag = op
                .pointer("/tags/0")
                .and_then(Value::as_str)
                .unwrap_or("other");
            let id = op
                .get("operationId")
                .and_then(Value::as_str)
                .map(str::to_owned)
                .unwrap_or_else(|| format!("{method}{}", path.replace(['/', '{', '}'], "_")));
            let operation = Operation {
                id,
                method,
                path,
                op,
            };
            match groups.iter_mut().find(|g| g.tag == tag) {
                Some(group) => group.operations.push(operation),
                None => groups.push(Group {
                    tag: tag.to_owned(),
                    description: String::new(),
                    operations: vec![operation],
                }),
            }
        }
    }
    groups.retain(|g| !g.operations.is_empty());
    groups
}

fn navigation(html: &mut String, title: &str, groups: &[Group], schemas: &Map<String, Value>) {
    let _ = write!(
        html,
        "<nav><a href=\"#top\"><strong>{}</strong></a><h2>Operations</h2>",
        escape(title)
    );
    for group in groups {
        let _ = write!(
            html,
            "<h3><a href=\"#tag-{0}\">{0}</a></h3><ul>",
            escape(&group.tag)
        );
        for op in &group.operations {
            let _ = write!(
                html,
                "<li><a href=\"#op-{}\"><span class=\"m {m}\">{m}</span> {}</a></li>",
                escape(&op.id),
                escape(op.path),
                m = op.method
            );
        }
        html.push_str("</ul>");
    }
    html.push_str("<h2><a href=\"#schemas\">Schemas</a></h2><ul>");
    for name in schemas.keys() {
        let _ = write!(
            html,
            "<li><a href=\"#schema-{0}\">{0}</a></li>",
            escape(name)
        );
    }
    html.push_str("</ul></nav>");
}

fn introduction(html: &mut String, served: &Value) {
    let _ = write!(
        html,
        "<header id=\"top\"><h1>{} <small class=\"muted\">{}</small></h1>{}",
        escape(text(served.pointer("/info/title"))),
        escape(text(served.pointer("/info/version"))),
        markdown(text(served.pointer("/info/description")))
    );
    let schemes = served
        .pointer("/components/securitySchemes")
        .and_then(Value::as_object);
    for (name, scheme) in schemes.into_iter().flatten() {
        let _ = write!(
            html,
            "<p>Authentication <code>{}</code>: HTTP <code>{}</code>{}, on every operation \
             unless it says otherwise.</p>",
            escape(name),
            escape(text(scheme.get("scheme"))),
            scheme
                .get("bearerFormat")
                .and_then(Value::as_str)
                .map(|f| format!(" (<code>{}</code>)", escape(f)))
                .unwrap_or_default()
        );
    }
    html.push_str(
        "<p>The document itself: <a href=\"/openapi.json\">/openapi.json</a>; \
                   the same in Swagger UI, with requests sent from the page: \
                   <a href=\"/docs/\">/docs</a>.</p>",
    );
    response_headers(html, served);
    html.push_str("</header>");
}

/// The response headers of every operation, described once; the operations link here.
fn response_headers(html: &mut String, served: &Value) {
    let mut headers = std::collections::BTreeMap::new();
    let paths = served.get("paths").and_then(Value::as_object);
    let responses = paths
        .into_iter()
        .flat_map(|p| p.values())
        .flat_map(|item| METHODS.iter().filter_map(|m| item.get(*m)))
        .filter_map(|op| op.get("responses").and_then(Value::as_object))
        .flat_map(|r| r.values());
    for response in responses {
        let named = response.get("headers").and_then(Value::as_object);
        for (name, h) in named.into_iter().flatten() {
            headers
                .entry(name.as_str())
                .or_insert_with(|| text(h.get("description")));
        }
    }
    if headers.is_empty() {
        return;
    }
    html.push_str(
        "<h2>Response headers</h2><table class=\"headers\"><tr><th>Header</th>\
         <th>Meaning</th></tr>",
    );
    for (name, description) in headers {
        let _ = write!(
            html,
            "<tr id=\"header-{0}\"><td><code>{0}</code></td><td>{1}</td></tr>",
            escape(name),
            markdown(description)
        );
    }
    html.push_str("</table>");
}

fn operation(html: &mut String, op: &Operation, named: &Map<String, Value>) {
    let o = op.op;
    let _ = write!(
        html,
        "<section class=\"op\" id=\"op-{}\"><h3><span class=\"m {m}\">{m}</span> \
         <code>{}</code></h3>",
        escape(&op.id),
        escape(op.path),
        m = op.method
    );
    if let Some(summary) = o.get("summary").and_then(Value::as_str) {
        let _ = write!(html, "<p><strong>{}</strong></p>", markdown_inline(summary));
    }
    html.push_str(&markdown(text(o.get("description"))));
    if o.get("security")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        html.push_str("<p class=\"muted\">No authentication.</p>");
    }
    parameters(html, o.get("parameters"), named);
    request_body(html, o.get("requestBody"));
    responses(html, o.get("responses"));
    html.push_str("</section>");
}

fn parameters(html: &mut String, params: Option<&Value>, named: &Map<String, Value>) {
    let Some(params) = params.and_then(Value::as_array).filter(|p| !p.is_empty()) else {
        return;
    };
    html.push_str(
        "<h4>Parameters</h4><table class=\"params\"><tr><th>Name</th><th>In</th>\
         <th>Type</th><th>Constraints</th><th>Description</th></tr>",
    );
    for p in params {
        let schema = p.get("schema").unwrap_or(&Value::Null);
        let _ = write!(
            html,
            "<tr><td><code>{}</code>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(text(p.get("name"))),
            required_mark(p.get("required").and_then(Value::as_bool).unwrap_or(false)),
            escape(text(p.get("in"))),
            type_of(schema),
            constraints(schema, named),
            markdown(text(p.get("description")))
        );
    }
    html.push_str("</table>");
}

fn request_body(html: &mut String, body: Option<&Value>) {
    let Some(body) = body else { return };
    html.push_str("<h4>Request body</h4>");
    let content = body.get("content").and_then(Value::as_object);
    for (media, m) in content.into_iter().flatten() {
        let schema = m.get("schema").unwrap_or(&Value::Null);
        let _ = write!(
            html,
            "<p><code>{}</code>: {}{}</p>",
            escape(media),
            type_of(schema),
            required_mark(
                body.get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            )
        );
        if let Some(example) = m.get("example") {
            example_block(html, example);
        }
        let named = m.get("examples").and_then(Value::as_object);
        for (name, e) in named.into_iter().flatten() {
            let _ = write!(
                html,
                "<p class=\"muted\">Example <em>{}</em></p>",
                escape(name)
            );
            example_block(html, e.get("value").unwrap_or(&Value::Null));
        }
    }
}

fn responses(html: &mut String, responses: Option<&Value>) {
    let Some(responses) = responses.and_then(Value::as_object) else {
        return;
    };
    html.push_str(
        "<h4>Responses</h4><table class=\"responses\"><tr><th>Status</th><th>Body</th>\
         <th>Headers</th><th>Description</th></tr>",
    );
    for (status, r) in responses {
        let bodies = r
            .get("content")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(media, m)| {
                let schema = m.get("schema").unwrap_or(&Value::Null);
                format!(
                    "{} <span class=\"muted\">{}</span>",
                    type_of(schema),
                    escape(media)
                )
            })
            .collect::<Vec<_>>()
            .join("<br>");
        let headers = r
            .get("headers")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(name, h)| {
                let always = h.get("required").and_then(Value::as_bool).unwrap_or(false);
                format!(
                    "<a href=\"#header-{0}\"><code>{0}</code></a>{1}",
                    escape(name),
                    if always {
                        ""
                    } else {
                        " <span class=\"muted\">(may)</span>"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join("<br>");
        let _ = write!(
            html,
            "<tr><td><code>{}</code></td><td>{bodies}</td><td>{headers}</td><td>{}</td></tr>",
            escape(status),
            markdown(text(r.get("description")))
        );
    }
    html.push_str("</table>");
}

fn example_block(html: &mut String, example: &Value) {
    let json = serde_json::to_string_pretty(example).unwrap_or_default();
    let _ = write!(html, "<pre><code>{}</code></pre>", escape(&json));
}

fn required_mark(required: bool) -> &'static str {
    if required {
        " <span class=\"req\" title=\"required\">required</span>"
    } else {
        ""
    }
}

/// A one-line text (a summary) with its inline Markdown, without the paragraph.
fn markdown_inline(s: &str) -> String {
    let html = markdown(s);
    html.trim()
        .strip_prefix("<p>")
        .and_then(|h| h.strip_suffix("</p>"))
        .map(str::to_owned)
        .unwrap_or(html)
}

fn text(v: Option<&Value>) -> &str {
    v.and_then(Value::as_str).unwrap_or_default()
}
