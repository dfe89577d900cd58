//! The OpenAPI document and the pages that render it.
//!
//! The document is not written by hand: every handler carries `#[utoipa::path]`, and the
//! router registers handlers through `utoipa_axum::routes!`, which adds each one's route
//! and its path item together, so a route cannot exist without being documented.
//! `/docs` serves Swagger UI from assets compiled into the binary (`vendored`); `/redoc`
//! is rendered here, see `reference_page`.

use std::collections::BTreeMap;
use std::fmt::Write;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

mod bounds;
mod responses;
mod wrappers;

use super::error::Envelope;
use super::sdk::wire::SdkError;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Identity OS",
        description = "Stateful personality models of AI agents: instances, observations, \
                       execution contracts. Errors use one envelope: \
                       `{error, message, details: {field, reason}}`."
    ),
    servers((url = "/", description = "This server")),
    modifiers(&ApiKeyAuth),
    security(("api_key" = [])),
    components(schemas(Envelope, SdkError)),
    tags(
        (name = "instances", description = "Create, list, change, delete and restore instances"),
        (name = "engine", description = "Observations in, state and contracts out"),
        (name = "lifecycle", description = "Stop, start, restart, update"),
        (name = "personas", description = "The twelve reference personas"),
        (name = "test", description = "The personality questionnaire"),
        (name = "operations", description = "Health, readiness, metrics (no auth)"),
        (name = "sdk", description = "The same API in the wire format of the official Python SDK \
                                      (`identity-os-sdk` 0.9.0): `base_url=…/sdk`")
    )
)]
pub struct ApiDoc;

/// The failures of every `/v1` operation: the error envelope, for 4XX and 5XX alike.
pub struct Failures;

impl IntoResponses for Failures {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failures(
            Envelope::name(),
            "The error envelope; `details.field` names the field at fault",
        )
    }
}

/// The failures of every `/sdk/v1` operation: the SDK's `{error, code}`, with 422 for
/// invalid input.
pub struct SdkFailures;

impl IntoResponses for SdkFailures {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        failures(
            SdkError::name(),
            "`{error: message, code}`; 422 for invalid input, `details.field` names the field",
        )
    }
}

fn failures(
    schema: std::borrow::Cow<'static, str>,
    client: &str,
) -> BTreeMap<String, RefOr<Response>> {
    let response = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name(schema.clone())))
                    .build(),
            )
            .build()
            .into()
    };
    BTreeMap::from([
        ("4XX".to_owned(), response(client)),
        (
            "5XX".to_owned(),
            response("Server-side failure (503 while storage is unreachable)"),
        ),
    ])
}

/// `Authorization: Bearer idos_sk_…` on every `/v1` route (the operations routes opt out).
struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut Document) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("idos_sk_…")
                    .build(),
            ),
        );
    }
}

/// The document served at `/openapi.json`: the generated one with every bound the
/// server enforces written onto it (`bounds.rs`), its generic wrappers referring to the
/// schemas they wrap (`wrappers.rs`), and what every `/v1` operation answers: its 4xx and its headers (`responses.rs`).
pub fn served(doc: &Document, config: &crate::config::Config) -> serde_json::Value {
    let mut value = serde_json::to_value(doc).unwrap_or_default();
    if let Err(missing) = bounds::apply(&mut value, config) {
        tracing::error!(%missing, "the OpenAPI document lacks a bound");
    }
    if let Err(e) = wrappers::refer(&mut value) {
        tracing::error!(error = %e, "the OpenAPI document's wrappers");
    }
    if let Err(e) = responses::document(&mut value) {
        tracing::error!(error = %e, "the OpenAPI document's responses");
    }
    value
}

/// `/redoc`: the document as one self-contained HTML reference, rendered on the server.
///
/// ReDoc itself is a JavaScript bundle that its crates load from a CDN; the crate that
/// embeds it (`footing`, `redoc-embedded`) needs rustc ≥ 1.98, and third-party bundles
/// are not committed here. So this page renders the same document without any script:
/// every operation with its parameters, body and responses, linked to its schemas.
pub fn reference_page(doc: &Document) -> String {
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Identity OS API</title>\
         <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;\
         padding:0 1em}code,pre{background:#f4f4f4;padding:0 .2em}h3{margin-bottom:.2em}\
         .m{font-weight:bold;text-transform:uppercase}pre{padding:.5em;overflow:auto}</style>\
         </head><body>",
    );
    let _ = write!(html, "<h1>{}</h1>", escape(&doc.info.title));
    if let Some(d) = &doc.info.description {
        let _ = write!(html, "<p>{}</p>", escape(d));
    }
    html.push_str("<h2>Operations</h2>");
    for (path, item) in &doc.paths.paths {
        for (method, op) in operations(item) {
            let _ = write!(
                html,
                "<h3><span class=\"m\">{method}</span> <code>{}</code></h3><p>{}</p>",
                escape(path),
                escape(op.summary.as_deref().unwrap_or_default())
            );
            for p in op.parameters.iter().flatten().filter_map(inline) {
                let _ = write!(
                    html,
                    "<div>parameter <code>{}</code>: {}</div>",
                    escape(&p.name),
                    escape(p.description.as_deref().unwrap_or_default())
                );
            }
            if let Some(body) = op.request_body.as_ref().and_then(inline) {
                for media in body.content.values().filter_map(inline) {
                    let _ = write!(
                        html,
                        "<div>body: {}</div>",
                        schema_link(media.schema.as_ref())
                    );
                }
            }
            for (status, response) in &op.responses.responses {
                if let RefOr::T(r) = response {
                    let body = r
                        .content
                        .values()
                        .filter_map(inline)
                        .map(|m| schema_link(m.schema.as_ref()))
                        .collect::<Vec<_>>()
                        .join(", ");
                    let _ = write!(
                        html,
                        "<div>{} — {} {body}</div>",
                        escape(status),
                        escape(&r.description)
                    );
                }
            }
        }
    }
    html.push_str("<h2>Schemas</h2>");
    if let Some(components) = &doc.components {
        for (name, schema) in &components.schemas {
            let json = serde_json::to_string_pretty(schema).unwrap_or_default();
            let _ = write!(
                html,
                "<h3 id=\"{0}\">{0}</h3><pre>{1}</pre>",
                escape(name),
                escape(&json)
            );
        }
    }
    html.push_str("</body></html>");
    html
}

fn operations(
    item: &utoipa::openapi::PathItem,
) -> impl Iterator<Item = (&'static str, &utoipa::openapi::path::Operation)> {
    [
        ("get", &item.get),
        ("post", &item.post),
        ("put", &item.put),
        ("patch", &item.patch),
        ("delete", &item.delete),
    ]
    .into_iter()
    .filter_map(|(m, op)| op.as_ref().map(|op| (m, op)))
}

/// The item itself; references are not used for these parts of our document.
fn inline<T>(r: &RefOr<T>) -> Option<&T> {
    match r {
        RefOr::T(t) => Some(t),
        RefOr::Ref(_) => None,
    }
}

fn schema_link(schema: Option<&RefOr<utoipa::openapi::schema::Schema>>) -> String {
    match schema {
        Some(RefOr::Ref(r)) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or_default();
            format!("<a href=\"#{0}\"><code>{0}</code></a>", escape(name))
        }
        Some(RefOr::T(s)) => format!(
            "<code>{}</code>",
            escape(&serde_json::to_string(s).unwrap_or_default())
        ),
        None => String::new(),
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
