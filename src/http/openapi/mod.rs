//! The OpenAPI document and the pages that render it.
//!
//! The document is not written by hand: every handler carries `#[utoipa::path]`, and the
//! router registers handlers through `utoipa_axum::routes!`, which adds each one's route
//! and its path item together, so a route cannot exist without being documented.
//! `/docs` serves Swagger UI from assets compiled into the binary (`vendored`); `/redoc`
//! is rendered on the server from the served document (`reference/`).

use std::collections::BTreeMap;

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{IntoResponses, Modify, OpenApi, ToSchema};

mod bounds;
mod published;
mod reference;
mod responses;
mod wrappers;

pub use published::{Published, Rendered};
pub use reference::page as reference_page;

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
