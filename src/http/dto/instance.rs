//! The instance object, and the bodies that create, change and list instances.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

use crate::engine::personas;
use crate::engine::{MODE_COUNT, Mode, Profile, StressState, Unit};
use crate::http::error::ApiError;
use crate::store::{InstanceMeta, InstanceRecord, SortKey};

use super::{storable, unique_keys};

pub const MAX_NAME_CHARS: usize = 100;
pub const MAX_DESCRIPTION_CHARS: usize = 2000;
pub const MAX_USER_CHARS: usize = 200;
pub const MAX_METADATA_KEYS: usize = 32;
pub const MAX_METADATA_KEY_CHARS: usize = 64;
pub const MAX_METADATA_VALUE_CHARS: usize = 512;
pub const MAX_LIST_LIMIT: u32 = 100;

/// Where an instance's actor is: `active` (resident), `passivated` (in storage only),
/// `stopped` (by its owner), `failed` (its actor kept failing: it refuses every call
/// until `POST /v1/instances/{id}/restart` brings it back; docs/http.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Passivated,
    Stopped,
    Failed,
}

/// Where the instance's actor is on the node that answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Residency {
    Resident,
    /// In storage only: the next call activates it.
    Stored,
    /// Failed too often: waits for a restart.
    Failed,
}

/// The instance object of API.md §2.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct InstanceBody {
    id: String,
    name: String,
    description: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
    cycle_count: u64,
    energy_level: f64,
    stress_state: StressState,
    stability_index: f64,
    status: Status,
    #[schema(required = true)]
    persona: Option<String>,
    engine_version: u16,
    update_available: bool,
    #[schema(required = true)]
    user: Option<String>,
    metadata: BTreeMap<String, String>,
    #[schema(required = true)]
    cycle_cap: Option<u64>,
}

impl InstanceBody {
    pub fn new(record: InstanceRecord, residency: Residency) -> InstanceBody {
        // Failed first: it refuses even the reads a stopped instance answers.
        let status = match (residency, record.stopped) {
            (Residency::Failed, _) => Status::Failed,
            (_, true) => Status::Stopped,
            (Residency::Resident, false) => Status::Active,
            (Residency::Stored, false) => Status::Passivated,
        };
        InstanceBody {
            id: record.id.to_string(),
            name: record.meta.name,
            description: record.meta.description,
            created_at: record.created_at.to_rfc3339(),
            updated_at: record.updated_at.to_rfc3339(),
            cycle_count: record.cycle_count,
            energy_level: record.summary.energy_level,
            stress_state: record.summary.stress_state,
            stability_index: record.summary.stability_index,
            status,
            persona: record.persona,
            engine_version: record.engine_version.number(),
            update_available: record.engine_version.update_available(),
            user: record.meta.user,
            metadata: record.meta.metadata,
            cycle_cap: record.meta.cycle_cap,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitialConfig {
    #[serde(default, deserialize_with = "unique_keys::map")]
    mode_strengths: BTreeMap<String, Unit>,
    energy_level: Option<Unit>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Aria", "persona": "persona_explorer", "user": "user-42", "metadata": {"team": "research"}}))]
pub struct CreateInstance {
    name: String,
    #[serde(default)]
    description: String,
    initial_config: Option<InitialConfig>,
    persona: Option<String>,
    user: Option<String>,
    #[serde(default, deserialize_with = "unique_keys::map")]
    metadata: BTreeMap<String, String>,
    #[serde(default, deserialize_with = "storable::optional_int")]
    cycle_cap: Option<u64>,
}

/// A checked creation request.
pub struct NewInstanceRequest {
    pub meta: InstanceMeta,
    pub persona: Option<String>,
    pub profile: Profile,
}

impl CreateInstance {
    pub fn validate(self) -> Result<NewInstanceRequest, ApiError> {
        let persona = match self.persona {
            None => None,
            Some(id) => Some(personas::get(&id).ok_or_else(|| {
                ApiError::invalid("persona", "unknown_persona", format!("no persona {id:?}"))
            })?),
        };
        let mut profile = persona.map_or(Profile::DEFAULT, |p| p.starting_profile());
        if let Some(config) = self.initial_config {
            for (name, value) in config.mode_strengths {
                let mode = Mode::ALL
                    .into_iter()
                    .find(|m| m.lower_name() == name)
                    .ok_or_else(|| {
                        let field = format!("initial_config.mode_strengths.{name}");
                        ApiError::invalid(
                            field.clone(),
                            "unknown_mode",
                            format!("{field}: not a mode"),
                        )
                    })?;
                profile.modes[mode.index()] = value;
            }
            if let Some(energy) = config.energy_level {
                profile.energy = energy;
            }
        }
        debug_assert_eq!(profile.modes.len(), MODE_COUNT);
        Ok(NewInstanceRequest {
            meta: InstanceMeta {
                name: name(&self.name)?,
                description: description(self.description)?,
                user: user(self.user)?,
                metadata: metadata(self.metadata)?,
                cycle_cap: self.cycle_cap,
            },
            persona: persona.map(|p| p.id.to_owned()),
            profile,
        })
    }
}

/// `PATCH`: only these fields may change; absent means unchanged, `null` clears the
/// nullable ones (`user`, `cycle_cap`) and is refused for the others. Engine fields are
/// unknown fields here, so they are refused by name.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "Aria (research)", "description": "Explores new topics"}))]
pub struct PatchInstance {
    #[serde(default, deserialize_with = "not_null")]
    name: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    user: Option<Option<String>>,
    #[serde(default, deserialize_with = "not_null_metadata")]
    metadata: Option<BTreeMap<String, String>>,
    #[serde(default, deserialize_with = "present_cap")]
    cycle_cap: Option<Option<u64>>,
}

/// Tells `"field": null` (Some(None)) from an absent field (None).
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

fn present_cap<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<u64>>, D::Error> {
    storable::optional_int(d).map(Some)
}

/// A present field that cannot be null: `null` is a type error naming it, where a
/// plain `Option` would read it as absent and change nothing.
fn not_null<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

fn not_null_metadata<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    unique_keys::map(d).map(Some)
}

impl PatchInstance {
    /// The metadata after the patch.
    pub fn apply(self, mut meta: InstanceMeta) -> Result<InstanceMeta, ApiError> {
        if let Some(n) = self.name {
            meta.name = name(&n)?;
        }
        if let Some(d) = self.description {
            meta.description = description(d)?;
        }
        if let Some(u) = self.user {
            meta.user = user(u)?;
        }
        if let Some(m) = self.metadata {
            meta.metadata = metadata(m)?;
        }
        if let Some(cap) = self.cycle_cap {
            meta.cycle_cap = cap;
        }
        Ok(meta)
    }
}

fn name(raw: &str) -> Result<String, ApiError> {
    instance_name(raw, "name")
}

/// An instance name, trimmed, 1–100 characters; `field` is the request field it came in.
pub fn instance_name(raw: &str, field: &str) -> Result<String, ApiError> {
    storable::text(field, raw)?;
    let trimmed = raw.trim();
    let chars = trimmed.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS {
        return Err(ApiError::invalid(
            field,
            if chars == 0 { "empty" } else { "too_long" },
            format!("{field} must be 1 to {MAX_NAME_CHARS} characters after trimming"),
        ));
    }
    Ok(trimmed.to_owned())
}

fn description(raw: String) -> Result<String, ApiError> {
    storable::text("description", &raw)?;
    if raw.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ApiError::invalid(
            "description",
            "too_long",
            format!("description must be at most {MAX_DESCRIPTION_CHARS} characters"),
        ));
    }
    Ok(raw)
}

/// A `user` tag, as stored or as a list filter.
pub fn user(raw: Option<String>) -> Result<Option<String>, ApiError> {
    if let Some(u) = &raw {
        storable::text("user", u)?;
    }
    if raw
        .as_ref()
        .is_some_and(|u| u.chars().count() > MAX_USER_CHARS)
    {
        return Err(ApiError::invalid(
            "user",
            "too_long",
            format!("user must be at most {MAX_USER_CHARS} characters"),
        ));
    }
    Ok(raw)
}

fn metadata(raw: BTreeMap<String, String>) -> Result<BTreeMap<String, String>, ApiError> {
    if raw.len() > MAX_METADATA_KEYS {
        return Err(ApiError::invalid(
            "metadata",
            "too_many",
            format!("metadata holds at most {MAX_METADATA_KEYS} keys"),
        ));
    }
    for (k, v) in &raw {
        storable::text(&format!("metadata.{k}"), k)?;
        storable::text(&format!("metadata.{k}"), v)?;
        if k.is_empty() || k.chars().count() > MAX_METADATA_KEY_CHARS {
            return Err(ApiError::invalid(
                format!("metadata.{k}"),
                "invalid_key",
                format!("metadata keys must be 1 to {MAX_METADATA_KEY_CHARS} characters"),
            ));
        }
        if v.chars().count() > MAX_METADATA_VALUE_CHARS {
            return Err(ApiError::invalid(
                format!("metadata.{k}"),
                "too_long",
                format!("metadata values must be at most {MAX_METADATA_VALUE_CHARS} characters"),
            ));
        }
    }
    Ok(raw)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    CreatedAt,
    Name,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    Asc,
    Desc,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Instances per page (default 20).
    pub limit: Option<u32>,
    /// Instances to skip (default 0; not with `cursor`).
    #[serde(default, deserialize_with = "storable::optional_query_int")]
    pub offset: Option<u64>,
    /// The `pagination.next_cursor` of the page before: the next page, without skipping
    /// instances one by one. Only with the query it came with.
    pub cursor: Option<String>,
    /// The order's key (default `created_at`).
    #[param(inline)]
    pub sort: Option<SortField>,
    /// Default `desc`.
    #[param(inline)]
    pub order: Option<Order>,
    /// Only the instances created with this `user`.
    pub user: Option<String>,
    /// Only the instances in this status.
    pub status: Option<Status>,
}

impl ListQuery {
    pub fn limit(&self) -> Result<u32, ApiError> {
        checked_limit(self.limit, 20, MAX_LIST_LIMIT)
    }

    pub fn sort(&self) -> SortKey {
        match self.sort {
            Some(SortField::Name) => SortKey::Name,
            Some(SortField::CreatedAt) | None => SortKey::CreatedAt,
        }
    }

    pub fn descending(&self) -> bool {
        self.order != Some(Order::Asc)
    }
}

/// `limit` with its default, refused above `max` or at 0.
pub fn checked_limit(limit: Option<u32>, default: u32, max: u32) -> Result<u32, ApiError> {
    let limit = limit.unwrap_or(default);
    if limit == 0 || limit > max {
        return Err(ApiError::invalid(
            "limit",
            "out_of_range",
            format!("limit must be 1 to {max}"),
        ));
    }
    Ok(limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::extract::decode_json;

    fn create(body: &str) -> Result<NewInstanceRequest, ApiError> {
        decode_json::<CreateInstance>(body.as_bytes()).and_then(CreateInstance::validate)
    }

    fn field_of<T>(r: Result<T, ApiError>) -> Option<String> {
        r.err().and_then(|e| e.details).and_then(|d| d.field)
    }

    #[test]
    fn creation_starts_from_persona_then_initial_config() {
        let req = create(
            r#"{"name":"  Aria ","persona":"persona_guardian",
                "initial_config":{"mode_strengths":{"exploration":0.9},"energy_level":0.3}}"#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(req.meta.name, "Aria");
        assert_eq!(req.persona.as_deref(), Some("persona_guardian"));
        assert_eq!(req.profile.modes[Mode::Order.index()].get(), 0.8);
        assert_eq!(req.profile.modes[Mode::Exploration.index()].get(), 0.9);
        assert_eq!(req.profile.energy.get(), 0.3);
        let plain = create(r#"{"name":"B"}"#).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(plain.profile, Profile::DEFAULT);
    }

    #[test]
    fn every_limit_is_enforced_and_named() {
        let long = |n: usize| "x".repeat(n);
        assert_eq!(field_of(create(r#"{"name":"   "}"#)), Some("name".into()));
        assert!(create(&format!(r#"{{"name":"{}"}}"#, long(100))).is_ok());
        assert_eq!(
            field_of(create(&format!(r#"{{"name":"{}"}}"#, long(101)))),
            Some("name".into())
        );
        assert_eq!(
            field_of(create(&format!(r#"{{"name":"a","user":"{}"}}"#, long(201)))),
            Some("user".into())
        );
        assert_eq!(
            field_of(create(&format!(
                r#"{{"name":"a","description":"{}"}}"#,
                long(2001)
            ))),
            Some("description".into())
        );
        let keys: Vec<String> = (0..33).map(|i| format!(r#""k{i}":"v""#)).collect();
        assert_eq!(
            field_of(create(&format!(
                r#"{{"name":"a","metadata":{{{}}}}}"#,
                keys.join(",")
            ))),
            Some("metadata".into())
        );
        assert_eq!(
            field_of(create(&format!(
                r#"{{"name":"a","metadata":{{"{}":"v"}}}}"#,
                long(65)
            ))),
            Some(format!("metadata.{}", long(65)))
        );
        assert_eq!(
            field_of(create(&format!(
                r#"{{"name":"a","metadata":{{"k":"{}"}}}}"#,
                long(513)
            ))),
            Some("metadata.k".into())
        );
        assert_eq!(
            field_of(create(r#"{"name":"a","metadata":{"k":1}}"#)),
            Some("metadata.k".into())
        );
        assert_eq!(
            field_of(create(
                r#"{"name":"a","initial_config":{"mode_strengths":{"courage":0.5}}}"#
            )),
            Some("initial_config.mode_strengths.courage".into())
        );
        assert_eq!(
            field_of(create(
                r#"{"name":"a","initial_config":{"mode_strengths":{"order":1.01}}}"#
            )),
            Some("initial_config.mode_strengths.order".into())
        );
        assert_eq!(
            field_of(create(
                r#"{"name":"a","initial_config":{"energy_level":-0.1}}"#
            )),
            Some("initial_config.energy_level".into())
        );
        assert_eq!(
            field_of(create(r#"{"name":"a","persona":"persona_nobody"}"#)),
            Some("persona".into())
        );
        assert_eq!(
            field_of(create(r#"{"name":"a","cycle_cap":-1}"#)),
            Some("cycle_cap".into())
        );
        assert_eq!(field_of(create(r#"{"name":7}"#)), Some("name".into()));
    }

    #[test]
    fn patch_changes_only_what_it_names_and_refuses_engine_fields() {
        let meta = InstanceMeta {
            name: "old".into(),
            user: Some("u".into()),
            cycle_cap: Some(5),
            ..InstanceMeta::default()
        };
        let patch: PatchInstance =
            decode_json(br#"{"name":"new","user":null}"#).unwrap_or_else(|e| panic!("{e:?}"));
        let after = patch
            .apply(meta.clone())
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            (after.name.as_str(), after.user, after.cycle_cap),
            ("new", None, Some(5))
        );
        for engine_field in ["mode_strengths", "energy_level", "cycle", "stress_state"] {
            let body = format!(r#"{{"{engine_field}":1}}"#);
            let err = decode_json::<PatchInstance>(body.as_bytes()).map(|_| ());
            assert_eq!(field_of(err), Some(engine_field.to_owned()));
        }
    }

    #[test]
    fn list_limits() {
        assert_eq!(checked_limit(None, 20, 100).ok(), Some(20));
        assert_eq!(checked_limit(Some(100), 20, 100).ok(), Some(100));
        assert_eq!(
            field_of(checked_limit(Some(101), 20, 100)),
            Some("limit".into())
        );
        assert_eq!(
            field_of(checked_limit(Some(0), 20, 100)),
            Some("limit".into())
        );
    }
}
