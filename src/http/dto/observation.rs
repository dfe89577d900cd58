//! Observations as clients send them: one to `/process`, many to `/process/batch`.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::engine::{Mode, Observation, Unit};
use crate::http::error::ApiError;
use crate::instance::Input;
use crate::timestamp::Timestamp;

use super::context;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"mode_target": "EXPLORATION", "signal_strength": 0.8, "confidence": 0.9, "context": {"task": "brainstorm"}}))]
pub struct ObservationIn {
    mode_target: Mode,
    signal_strength: Unit,
    #[serde(default = "one")]
    confidence: Unit,
    #[schema(value_type = Option<super::context::Context>)]
    context: Option<Box<RawValue>>,
    /// RFC 3339: when the client observed it (stored as `observed_at`).
    #[schema(format = DateTime)]
    timestamp: Option<String>,
}

/// Whether an observation's `timestamp` must carry an offset (`/v1`, RFC 3339) or may
/// leave it out and mean UTC (the SDK dialect: Python writes naive times that way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offsets {
    Required,
    UtcIfMissing,
}

fn one() -> Unit {
    Unit::ONE
}

impl ObservationIn {
    /// Checks what serde cannot (context is JSON every client reads back, timestamp is
    /// RFC 3339); `prefix` names this observation in errors (`observations[3].`).
    pub fn into_input(self, prefix: &str, offsets: Offsets) -> Result<Input, ApiError> {
        let context = match self.context {
            None => "{}".to_owned(),
            Some(raw) => {
                let text = raw.get();
                if let Some((reason, problem)) = context::problem(text) {
                    return Err(ApiError::invalid(
                        format!("{prefix}context"),
                        reason,
                        format!("{prefix}context {problem}"),
                    ));
                }
                text.to_owned()
            }
        };
        let observed_at = match self.timestamp {
            None => None,
            Some(text) => Some(parse_time(&text, offsets).ok_or_else(|| {
                ApiError::invalid(
                    format!("{prefix}timestamp"),
                    "invalid_value",
                    format!(
                        "{prefix}timestamp must be an RFC 3339 time, e.g. 2026-03-24T10:15:30Z"
                    ),
                )
            })?),
        };
        Ok(Input {
            observation: Observation::new(self.mode_target, self.signal_strength, self.confidence),
            context,
            observed_at,
        })
    }
}

fn parse_time(text: &str, offsets: Offsets) -> Option<Timestamp> {
    match offsets {
        Offsets::Required => Timestamp::parse_rfc3339(text),
        Offsets::UtcIfMissing => Timestamp::parse_rfc3339_or_naive_utc(text),
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"observations": [{"mode_target": "EXPLORATION", "signal_strength": 0.8}, {"mode_target": "ORDER", "signal_strength": 0.6}]}))]
pub struct BatchIn {
    observations: Vec<ObservationIn>,
    #[serde(default)]
    pub include_intermediate: bool,
}

impl BatchIn {
    /// The observations as inputs: 1 to `max` of them, each valid, or nothing.
    pub fn into_inputs(self, max: usize, offsets: Offsets) -> Result<(Vec<Input>, bool), ApiError> {
        let n = self.observations.len();
        if n == 0 || n > max {
            return Err(ApiError::invalid(
                "observations",
                if n == 0 { "empty" } else { "too_many" },
                format!("observations must hold 1 to {max} items, got {n}"),
            ));
        }
        let inputs = self
            .observations
            .into_iter()
            .enumerate()
            .map(|(i, o)| o.into_input(&format!("observations[{i}]."), offsets))
            .collect::<Result<Vec<_>, _>>()?;
        Ok((inputs, self.include_intermediate))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::dto::context::MAX_CONTEXT_BYTES;
    use crate::http::extract::decode_json;

    fn field(e: ApiError) -> Option<String> {
        e.details.and_then(|d| d.field)
    }

    #[test]
    fn defaults_and_spellings() {
        let o: ObservationIn =
            decode_json(br#"{"mode_target":"stress_response","signal_strength":0.4}"#)
                .unwrap_or_else(|e| panic!("{e:?}"));
        let input = o
            .into_input("", Offsets::Required)
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(input.observation.mode, Mode::StressResponse);
        assert_eq!(input.observation.confidence, Unit::ONE);
        assert_eq!((input.context.as_str(), input.observed_at), ("{}", None));
    }

    #[test]
    fn context_and_timestamp_are_checked() {
        let decode = |body: &str| {
            decode_json::<BatchIn>(body.as_bytes())
                .and_then(|b| b.into_inputs(100, Offsets::Required))
                .map(|(inputs, _)| inputs)
        };
        let ok = r#"{"mode_target":"ORDER","signal_strength":0.5}"#;
        let big = format!(
            r#"{{"mode_target":"ORDER","signal_strength":0.5,"context":{{"x":"{}"}}}}"#,
            "a".repeat(MAX_CONTEXT_BYTES)
        );
        let err = decode(&format!(r#"{{"observations":[{ok},{big}]}}"#))
            .map(|_| ())
            .err();
        assert_eq!(err.and_then(field), Some("observations[1].context".into()));
        let list = r#"{"mode_target":"ORDER","signal_strength":0.5,"context":[1]}"#;
        let err = decode(&format!(r#"{{"observations":[{list}]}}"#))
            .map(|_| ())
            .err();
        assert_eq!(err.and_then(field), Some("observations[0].context".into()));
        let when = r#"{"mode_target":"ORDER","signal_strength":0.5,"timestamp":"yesterday"}"#;
        let err = decode(&format!(r#"{{"observations":[{ok},{ok},{when}]}}"#))
            .map(|_| ())
            .err();
        assert_eq!(
            err.and_then(field),
            Some("observations[2].timestamp".into())
        );
        let err = decode(r#"{"observations":[]}"#).map(|_| ()).err();
        assert_eq!(err.and_then(field), Some("observations".into()));
        let many = vec![ok; 101].join(",");
        let err = decode(&format!(r#"{{"observations":[{many}]}}"#))
            .map(|_| ())
            .err();
        assert_eq!(err.and_then(field), Some("observations".into()));
        let fine = decode(
            r#"{"observations":[{"mode_target":"ORDER","signal_strength":0.5,"context":{"task":"x"},"timestamp":"2026-03-24T10:15:30Z"}]}"#,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(fine[0].context, r#"{"task":"x"}"#);
        assert!(fine[0].observed_at.is_some());
    }

    #[test]
    fn a_time_without_offset_is_utc_only_where_allowed() {
        let naive =
            r#"{"mode_target":"order","signal_strength":0.5,"timestamp":"2026-03-24T10:15:30"}"#;
        let input = |offsets| {
            decode_json::<ObservationIn>(naive.as_bytes())
                .and_then(|o| o.into_input("", offsets))
                .map(|i| i.observed_at)
        };
        assert_eq!(
            input(Offsets::UtcIfMissing),
            Ok(Timestamp::parse_rfc3339("2026-03-24T10:15:30Z"))
        );
        assert_eq!(
            input(Offsets::Required).err().and_then(field),
            Some("timestamp".into())
        );
    }
}
