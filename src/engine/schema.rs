//! OpenAPI schemas of the wire types whose serde is written by hand (so no derive can
//! see their shape): they must say exactly what `Serialize`/`Deserialize` produce.

use std::borrow::Cow;

use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::action::Action;
use super::drift::{Drift, DriftLevel};
use super::mode::Mode;
use super::unit::Unit;

fn names(description: &str, names: impl IntoIterator<Item = &'static str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(names))
        .description(Some(description))
        .into()
}

impl PartialSchema for Mode {
    fn schema() -> RefOr<Schema> {
        names(
            "A mode as answers spell it (requests take `Mode`, UPPERCASE, or this)",
            Mode::ALL.map(Mode::lower_name),
        )
    }
}

/// Named `ModeName`: `Mode` in the document is the UPPERCASE request form of API.md
/// (`http/openapi/bounds.rs`); answers spell modes in lowercase.
impl ToSchema for Mode {
    fn name() -> Cow<'static, str> {
        Cow::Borrowed("ModeName")
    }
}

impl PartialSchema for Action {
    fn schema() -> RefOr<Schema> {
        names("One of the twelve actions", Action::ALL.map(Action::name))
    }
}
impl ToSchema for Action {}

impl PartialSchema for Unit {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Number)
            .minimum(Some(0.0))
            .maximum(Some(1.0))
            .into()
    }
}
impl ToSchema for Unit {}

impl PartialSchema for Drift {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .property("level", DriftLevel::schema())
            .required("level")
            .property(
                "deviation",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .description(Some("Names each mode that moved and by how much")),
            )
            .required("deviation")
            .property(
                "affected_modes",
                ArrayBuilder::new().items(Ref::from_schema_name(Mode::name())),
            )
            .required("affected_modes")
            .property("rolled_back", bool::schema())
            .required("rolled_back")
            .into()
    }
}
impl ToSchema for Drift {}
