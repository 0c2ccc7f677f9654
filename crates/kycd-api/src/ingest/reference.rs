//! The reference parser (serde_json): the definition of rule 3's results and errors.

use super::*;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------------------------------
// Reference parser (serde_json): the definition of rule 3's results and errors.
// ---------------------------------------------------------------------------------------------------------------

#[derive(serde::Deserialize)]
pub(super) struct RawBody<'a> {
    #[serde(borrow, default)]
    pub(super) token: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "authToken")]
    pub(super) auth_token: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) country: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "documentType")]
    pub(super) document_type: Option<&'a RawValue>,
    #[serde(borrow, default)]
    pub(super) images: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "skipAnalysis")]
    pub(super) skip_analysis: Option<&'a RawValue>,
}

pub(super) fn string_field(
    raw: Option<&RawValue>,
    name: &str,
) -> Result<Option<String>, ApiFailure> {
    match raw {
        None => Ok(None),
        Some(r) if r.get() == "null" => Ok(None),
        Some(r) => serde_json::from_str::<String>(r.get())
            .map(Some)
            .map_err(|_| {
                err(
                    ErrorIdentifier::JsonError,
                    format!("Field '{name}' must be a string."),
                )
            }),
    }
}

/// Rule 3 with serde_json over the whole body: UTF-8, JSON object, and the JSON type of every field. Image values
/// are returned as [`ImageValue::Text`].
pub fn parse_body_reference(bytes: &[u8]) -> Result<ParsedBody, ApiFailure> {
    let text = std::str::from_utf8(bytes).map_err(|_| {
        err(
            ErrorIdentifier::EncodingError,
            "Request body is not valid UTF-8.",
        )
    })?;
    let raw: RawBody<'_> = serde_json::from_str(text).map_err(|e| {
        if e.classify() == serde_json::error::Category::Data {
            err(
                ErrorIdentifier::JsonError,
                "Request body must be a JSON object.",
            )
        } else {
            err(
                ErrorIdentifier::JsonError,
                format!("Request body is not valid JSON: {e}"),
            )
        }
    })?;
    let token = match string_field(raw.token, "token")? {
        Some(t) => Some(t),
        None => string_field(raw.auth_token, "authToken")?,
    };
    let skip_analysis = match raw.skip_analysis {
        None => false,
        Some(r) => match r.get() {
            "null" | "false" => false,
            "true" => true,
            _ => {
                return Err(err(
                    ErrorIdentifier::JsonError,
                    "Field 'skipAnalysis' must be a boolean.",
                ));
            }
        },
    };
    let images = match raw.images {
        None => None,
        Some(r) if r.get() == "null" => None,
        Some(r) => {
            let map: BTreeMap<String, &RawValue> = serde_json::from_str(r.get()).map_err(|_| {
                err(
                    ErrorIdentifier::JsonError,
                    "Field 'images' must be an object.",
                )
            })?;
            let mut out = Vec::with_capacity(map.len());
            for (k, v) in map {
                let val = string_field(Some(v), &format!("images.{k}"))?;
                out.push((k, val.map(ImageValue::Text)));
            }
            Some(out)
        }
    };
    Ok(ParsedBody {
        token,
        country: string_field(raw.country, "country")?,
        document_type: string_field(raw.document_type, "documentType")?,
        skip_analysis,
        images,
    })
}
