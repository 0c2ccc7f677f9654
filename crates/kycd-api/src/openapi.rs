//! The OpenAPI 3.1 document of the HTTP API, generated from the handlers' `#[utoipa::path]` annotations and the
//! request/response types.
//!
//! The document is served at `GET /api/openapi.json` and checked in at `openapi/openapi.json`; the test
//! `crates/kycd-api/tests/openapi.rs` fails when the two differ (regenerate with
//! `KYCD_UPDATE_OPENAPI=1 cargo test -p kycd-api --test http openapi::`).
//!
//! The request bodies are parsed by hand (so that every error carries iDenfy's exact identifier and message); the
//! request types below describe what those parsers accept and are used for the document only.

use crate::blocklist::{BlocklistDataEntry, BlocklistEntry, BlocklistFaceEntry};
use crate::listing::{IdentificationList, IdentificationListItem};
use crate::retrieval::{DataResponse, FilesResponse, ReplayResponse, StatusResponse};
use crate::token::TokenCreated;
use kycd_types::error::ErrorEnvelope;
use kycd_types::token::{CountryRestriction, FLAG_DEFAULTS, TokenSettings};
use kycd_types::webhook::{DataBlock, IdentificationResult, StatusBlock};
use kycd_types::{
    AdditionalStepsStatus, DocSex, DocumentStatus, DocumentType, ErrorIdentifier, FaceStatus,
    FraudTag, Locale, MismatchTag, OverallStatus, Platform, StepType, TokenType,
};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::sync::LazyLock;
use utoipa::OpenApi;
use utoipa::openapi::RefOr;
use utoipa::openapi::schema::{Object, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};

/// Name of the HTTP Basic security scheme (the name iDenfy's own OpenAPI document uses).
pub const SECURITY_SCHEME: &str = "apiKeyPair";

/// `POST /api/v2/token` request body (idenfy-api.md §2.1): only `clientId` is required. The boolean feature and
/// check overrides (`checkAml`, `reviewFailed`, …) are listed as further optional properties with their defaults.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenRequest {
    /// The partner's user id: 1 to 100 ASCII characters.
    #[schema(min_length = 1, max_length = 100)]
    pub client_id: String,
    /// Legacy alias of `clientId`, used when `clientId` is absent.
    pub person_scan_ref: Option<String>,
    /// A partner reference echoed in results (at most 40 characters).
    #[schema(max_length = 40)]
    pub external_ref: Option<String>,
    /// Token type (default `IDENTIFICATION`). Every documented type is accepted; the video-call types
    /// (`VIDEO_CALL`, `VIDEO_CALL_PHOTOS`, `VIDEO_CALL_IDENTIFICATION`) cannot be used with `/api/v2/process`.
    pub token_type: Option<TokenType>,
    /// Sandbox partners only (`kycd partner create --sandbox`): `APPROVED`, `DENIED`, `SUSPECTED`, `REVIEWING` or
    /// `EXPIRED`; the verification then runs no analysis and gets that canned result (webhook included). A
    /// production partner gets `PERMISSIONS_ERROR`.
    pub dummy_status: Option<String>,
    /// Prefill: first name (1 to 100 characters, no digits or special characters).
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    /// Prefill: last name (1 to 100 characters, no digits or special characters).
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: Option<String>,
    /// Prefill: date of birth.
    #[schema(format = Date)]
    pub date_of_birth: Option<String>,
    /// Prefill: sex, `M` or `F`.
    #[schema(pattern = "^[MF]$")]
    pub sex: Option<String>,
    /// Prefill: nationality (ISO 3166-1 alpha-2, or `ALL`).
    pub nationality: Option<String>,
    /// Prefill: personal number (1 to 50 characters).
    #[schema(min_length = 1, max_length = 50)]
    pub personal_number: Option<String>,
    /// Prefill: document number (1 to 50 characters).
    #[schema(min_length = 1, max_length = 50)]
    pub document_number: Option<String>,
    /// Prefill: document expiry date.
    #[schema(format = Date)]
    pub date_of_expiry: Option<String>,
    /// Prefill: document issue date.
    #[schema(format = Date)]
    pub date_of_issue: Option<String>,
    /// Prefill: address (1 to 255 characters).
    #[schema(min_length = 1, max_length = 255)]
    pub address: Option<String>,
    /// Country restriction: one ISO 3166-1 alpha-2 code or a list of them.
    pub country: Option<CountryRestriction>,
    /// Allowed document types (default: the four direct-processing types).
    #[schema(min_items = 1)]
    pub documents: Option<Vec<DocumentType>>,
    /// Registry-centre countries (ISO 3166-1 alpha-2).
    pub registry_centers_countries: Option<Vec<String>>,
    /// Seconds the token stays valid before use.
    #[schema(minimum = 1, maximum = 2_592_000, default = 3600)]
    pub expiry_time: Option<i64>,
    /// Seconds the user has once started.
    #[schema(minimum = 60, maximum = 3600, default = 600)]
    pub session_length: Option<i64>,
    /// Success redirect (http or https URL, 5 to 2048 characters).
    #[schema(format = "uri", min_length = 5, max_length = 2048)]
    pub success_url: Option<String>,
    /// Error redirect (http or https URL, 5 to 2048 characters).
    #[schema(format = "uri", min_length = 5, max_length = 2048)]
    pub error_url: Option<String>,
    /// Unverified redirect (http or https URL, 5 to 2048 characters).
    #[schema(format = "uri", min_length = 5, max_length = 2048)]
    pub unverified_url: Option<String>,
    /// Per-token webhook URL (https unless private webhooks are allowed, 5 to 2048 characters).
    #[schema(format = "uri", min_length = 5, max_length = 2048)]
    pub callback_url: Option<String>,
    /// UI locale (any case; stored lower-case); another value is `BAD_VALUE`.
    #[schema(default = "en")]
    pub locale: Option<Locale>,
    /// UI theme id.
    pub theme: Option<String>,
    /// Questionnaire key; accepted and echoed (it does not stop direct processing: only attached answers would).
    pub questionnaire: Option<String>,
    /// Risk-assessment profile.
    pub risk_assessment_profile: Option<String>,
    /// Legacy shortcut for a `UTILITY_BILL` upload step (not together with `additionalSteps`).
    pub utility_bill: Option<bool>,
    /// Additional steps by country (`ALL` or alpha-2) and document type (`ALL` or a document type):
    /// `{"ALL": {"ALL": {"UTILITY_BILL": {"type": "COMPARE", "fields": ["address"]}}}}` (§2.3).
    #[schema(value_type = Option<BTreeMap<String, BTreeMap<String, BTreeMap<String, AdditionalStep>>>>)]
    pub additional_steps: Option<serde_json::Value>,
    /// Data for `EXTRACT`/`COMPARE` steps, by step name (only with `additionalSteps` or `utilityBill`).
    #[schema(value_type = Option<BTreeMap<String, Object>>)]
    pub additional_data: Option<serde_json::Value>,
    /// Face-matching threshold modifier, greater than 0 and at most 2.
    #[schema(exclusive_minimum = 0, maximum = 2, default = 1.0)]
    pub face_matching_threshold_modifier: Option<f64>,
    /// Minimum age (0 to 150).
    #[schema(minimum = 0, maximum = 150)]
    pub age_limit: Option<i64>,
    /// Maximum age (0 to 150).
    #[schema(minimum = 0, maximum = 150)]
    pub age_max: Option<i64>,
    /// Video-call questions (legacy).
    pub video_call_questions: Option<Vec<String>>,
}

/// One additional step of a token's `additionalSteps`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct AdditionalStep {
    /// Processing type (default `UPLOAD`).
    #[serde(rename = "type")]
    pub step_type: Option<StepType>,
    /// The fields to extract or compare.
    pub fields: Option<Vec<String>>,
}

/// `POST /api/v2/process` request body (direct-processing.md): images of an unused token, as base64 (PNG, JPEG
/// or unencrypted PDF; a `data:…;base64,` prefix is accepted).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProcessRequest {
    /// The session token from `/api/v2/token` (`authToken` is accepted as an alias).
    #[schema(min_length = 1)]
    pub token: String,
    /// Alias of `token`, used when `token` is absent or null.
    pub auth_token: Option<String>,
    /// Document country (ISO 3166-1 alpha-2, any case).
    #[schema(pattern = "^[A-Za-z]{2}$")]
    pub country: String,
    /// `ID_CARD`, `PASSPORT`, `DRIVER_LICENSE` or `RESIDENCE_PERMIT`; detected from `FRONT` when absent.
    pub document_type: Option<DocumentType>,
    /// Base64 images by step: `FRONT` (always), `BACK` (documents with a back side), `FACE` (`IDENTIFICATION`
    /// tokens), `UTILITY_BILL`, `SECOND_UTILITY_BILL` or an additional step of the token.
    pub images: BTreeMap<String, Option<String>>,
    /// Skip the synchronous photo validation (default false).
    pub skip_analysis: Option<bool>,
}

/// Request body naming one verification (`/status`, `/data`, `/files`, `/delete`, `/webhooks/replay`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScanRefRequest {
    /// The verification's id.
    #[schema(min_length = 1)]
    pub scan_ref: String,
}

/// `POST /api/v2/upload-additional-step` request body (idenfy-api.md §7.7).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UploadAdditionalStepRequest {
    /// The finished verification's id.
    #[schema(min_length = 1)]
    pub scan_ref: String,
    /// An additional step of the verification's token, e.g. `UTILITY_BILL`.
    #[schema(min_length = 1)]
    pub step: String,
    /// The file as base64 (PNG, JPEG or unencrypted PDF).
    #[schema(min_length = 1)]
    pub image: String,
    /// New data for the step (replaces the token's `additionalData` of that step).
    #[schema(value_type = Option<Object>)]
    pub additional_data: Option<serde_json::Value>,
}

/// `POST /api/v2/add-dummy-status` request body (idenfy-api.md §7.12).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddDummyStatusRequest {
    /// A dummy verification of the sandbox partner (its token had `dummyStatus`), already processed.
    #[schema(min_length = 1)]
    pub scan_ref: String,
    /// The manual face result.
    pub manual_face_match_result: FaceStatus,
    /// The manual document result.
    pub manual_document_validity: DocumentStatus,
}

/// `POST /api/v2/add-aml-user` request body (idenfy-api.md §7.14, v2): a `scanRef`, or a person or company.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddAmlUserRequest {
    /// A verification of the partner with a result: its holder is monitored (forces `PERSON`).
    pub scan_ref: Option<String>,
    /// `PERSON` (default) or `COMPANY`, for manual data.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Given names of a person, or the company name.
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// Surname of a person.
    #[schema(max_length = 200)]
    pub surname: Option<String>,
    /// Nationality of a person (ISO 3166-1 alpha-2).
    pub nationality: Option<String>,
    /// Date of birth of a person, `YYYY-MM-DD`.
    pub date_of_birth: Option<String>,
    /// Country of a company (ISO 3166-1 alpha-2).
    pub country: Option<String>,
}

/// `POST /api/v2/remove-aml-user` request body.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemoveAmlUserRequest {
    /// The `monitoringId` returned by `add-aml-user` (and carried by every `AML_MONITORING` webhook).
    pub monitoring_id: String,
}

/// `POST /api/v2/poa-checks/` request body (idenfy-api.md §7.11).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PoaCheckRequest {
    /// The letter as base64: JPEG, PNG or unencrypted PDF.
    #[schema(min_length = 1)]
    pub file: String,
    /// The holder's name to compare with.
    #[schema(max_length = 255)]
    pub provided_name: Option<String>,
    /// The holder's address to compare with.
    #[schema(max_length = 255)]
    pub provided_address: Option<String>,
}

/// `POST /kyc/identifications/{scanRef}/blocklists/{source}/` request body; the body may also be empty.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct BlocklistRequest {
    /// Why the entry is made (at most 1000 characters).
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Post-processing of the derived document: the security scheme and the feature flags of the token.
struct Extras;

impl utoipa::Modify for Extras {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            SECURITY_SCHEME,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Basic)
                    .description(Some(
                        "HTTP Basic: user name = API key, password = API secret \
                         (`kycd partner create` prints both).",
                    ))
                    .build(),
            ),
        );
        // The flags are one list (`FLAG_DEFAULTS`) read by the parser and stored in the token's flattened map:
        // list each as an optional request property with its default and as a required response property.
        for (schema, required) in [("TokenRequest", false), ("TokenSettings", true)] {
            if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(schema) {
                add_flags(o, required);
            }
        }
        // With every flag listed, the flattened map's `additionalProperties: boolean` is redundant, and wrong for
        // `TokenCreated` (`allOf` TokenSettings + `message`): it would require `message` to be a boolean.
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut("TokenSettings") {
            o.additional_properties = None;
        }
    }
}

fn add_flags(o: &mut Object, required: bool) {
    for (name, default) in FLAG_DEFAULTS {
        let prop = ObjectBuilder::new()
            .schema_type(Type::Boolean)
            .description(Some(format!(
                "Feature or check flag (default `{default}`)."
            )))
            .default(Some((*default).into()))
            .build();
        o.properties.insert((*name).to_string(), prop.into());
        if required && !o.required.iter().any(|r| r == name) {
            o.required.push((*name).to_string());
        }
    }
}

/// `401` of the routes whose other errors differ from [`AuthErrors`].
#[derive(utoipa::IntoResponses)]
#[response(
    status = 401,
    description = "`UNAUTHORIZED`: missing, malformed or wrong credentials."
)]
#[allow(dead_code)]
pub(crate) struct Unauthorized(ErrorEnvelope<'static>);

/// The error responses every authenticated route shares: `401`, `403` (partner disabled, iDenfy's
/// `403 Partner inactive`, idenfy-api.md §4.3), `429` and `500`.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)]
pub(crate) enum AuthErrors {
    #[response(
        status = 401,
        description = "`UNAUTHORIZED`: missing, malformed or wrong credentials."
    )]
    Unauthorized(ErrorEnvelope<'static>),
    #[response(
        status = 403,
        description = "`PARTNER_CONTRACT_ERROR` with the message `Partner inactive`: the partner is disabled."
    )]
    PartnerInactive(ErrorEnvelope<'static>),
    #[response(
        status = 429,
        description = "`TOO_MANY_REQUESTS`: over the partner's rate limit.",
        headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))
    )]
    RateLimited(ErrorEnvelope<'static>),
    #[response(
        status = 500,
        description = "`INTERNAL_ERROR`: an unexpected failure; the message carries a reference to the server log."
    )]
    Internal(ErrorEnvelope<'static>),
}

/// `400` of the routes whose body is `{"scanRef"}`.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 400,
    description = "`ENCODING_ERROR` (not UTF-8), `JSON_ERROR` (not a JSON object, wrong field type), `MISSING_VALUE` (no `scanRef`) or `BAD_VALUE` (empty `scanRef`)."
)]
#[allow(dead_code)]
pub(crate) struct ScanRefBadRequest(ErrorEnvelope<'static>);

/// `404` of the routes that name a verification by its scanRef.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 404,
    description = "`NOT_FOUND`: no verification with this scanRef for the partner."
)]
#[allow(dead_code)]
pub(crate) struct NotFoundScanRef(ErrorEnvelope<'static>);

/// `429` of the routes whose other errors differ from [`AuthErrors`].
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "`TOO_MANY_REQUESTS`: over the partner's rate limit.",
    headers(("Retry-After" = u64, description = "Seconds to wait before retrying."))
)]
#[allow(dead_code)]
pub(crate) struct RateLimited(ErrorEnvelope<'static>);

/// `500`: an unexpected failure.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 500,
    description = "`INTERNAL_ERROR`: an unexpected failure; the message carries a reference to the server log."
)]
#[allow(dead_code)]
pub(crate) struct Internal(ErrorEnvelope<'static>);

/// `413` of the routes with a small (1 MiB) body.
#[derive(utoipa::IntoResponses)]
#[response(
    status = 413,
    description = "`PAYLOAD_TOO_LARGE`: the body is over the limit (1 MiB)."
)]
#[allow(dead_code)]
pub(crate) struct SmallBodyTooLarge(ErrorEnvelope<'static>);

#[derive(OpenApi)]
#[openapi(
    info(
        title = "kycd",
        description = "An iDenfy-compatible KYC API. Every error leaves as the iDenfy envelope \
            `{\"message\", \"identifier\", \"documentation\", \"severity\"}` with the HTTP status of its identifier; \
            an unknown path answers `404 NOT_FOUND` and a known path with the wrong method \
            `405 METHOD_NOT_ALLOWED`. The authenticated endpoints answer `401 UNAUTHORIZED` without valid HTTP \
            Basic credentials, `403 PARTNER_CONTRACT_ERROR` (`Partner inactive`) for a disabled partner and \
            `429 TOO_MANY_REQUESTS` (with `Retry-After`) over the partner's rate limit.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    paths(
        crate::router::create_token,
        crate::router::process_verification,
        crate::router::get_status,
        crate::router::get_data,
        crate::router::get_files,
        crate::router::download_file,
        crate::router::delete_verification,
        crate::router::replay_webhooks,
        crate::router::upload_additional_step,
        crate::router::list_identifications,
        crate::router::add_blocklist,
        crate::router::remove_blocklist,
        crate::parity_routes::add_dummy_status,
        crate::parity_routes::generate_pdf,
        crate::parity_routes::poa_check,
        crate::parity_routes::add_aml_user,
        crate::parity_routes::remove_aml_user,
        crate::router::healthz,
        crate::router::readyz,
        crate::router::metrics,
        crate::router::openapi_json,
    ),
    components(schemas(
        ErrorEnvelope,
        ErrorIdentifier,
        TokenRequest,
        AdditionalStep,
        TokenCreated,
        TokenSettings,
        CountryRestriction,
        ProcessRequest,
        ScanRefRequest,
        UploadAdditionalStepRequest,
        BlocklistRequest,
        AddDummyStatusRequest,
        PoaCheckRequest,
        AddAmlUserRequest,
        RemoveAmlUserRequest,
        crate::monitoring::MonitoringSubject,
        crate::report::PdfResponse,
        crate::poa::PoaCheckResponse,
        kycd_types::poa::PoaFindings,
        kycd_types::poa::PoaOverallStatus,
        kycd_types::DummyStatus,
        StatusResponse,
        DataResponse,
        DataBlock,
        FilesResponse,
        ReplayResponse,
        IdentificationList,
        IdentificationListItem,
        BlocklistEntry,
        BlocklistFaceEntry,
        BlocklistDataEntry,
        IdentificationResult,
        StatusBlock,
        OverallStatus,
        TokenType,
        Locale,
        Platform,
        DocumentType,
        FaceStatus,
        DocumentStatus,
        FraudTag,
        MismatchTag,
        DocSex,
        StepType,
        AdditionalStepsStatus,
    )),
    modifiers(&Extras),
    tags(
        (name = "verification", description = "Tokens and direct processing."),
        (name = "retrieval", description = "Results, files, deletion and webhook replay."),
        (name = "blocklist", description = "Face and personal-data blocklist."),
        (name = "monitoring", description = "AML monitoring: subjects re-screened after every list change; \
            results by the `AML_MONITORING` webhook."),
        (name = "sandbox", description = "Sandbox partners (`kycd partner create --sandbox`): manual results of \
            dummy verifications."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
)]
pub struct ApiDoc;

/// The OpenAPI document.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

/// The document as served and checked in: pretty-printed JSON with a trailing newline.
///
/// Serialised through [`serde_json::Value`] (so every object's keys are sorted) because utoipa 5.5 writes the
/// fields of a Link object in snake case; [`fix_link_keys`] renames them to the OpenAPI names.
pub fn to_json() -> String {
    let mut v = serde_json::to_value(document()).unwrap_or_default();
    fix_link_keys(&mut v);
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Renames `operation_id`, `operation_ref` and `request_body` of every Link object (the values of a response's
/// `links` map) to `operationId`, `operationRef` and `requestBody`.
fn fix_link_keys(v: &mut serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Object(m) => {
            if let Some(Value::Object(links)) = m.get_mut("links") {
                for link in links.values_mut() {
                    if let Value::Object(l) = link {
                        for (from, to) in [
                            ("operation_id", "operationId"),
                            ("operation_ref", "operationRef"),
                            ("request_body", "requestBody"),
                        ] {
                            if let Some(x) = l.remove(from) {
                                l.insert(to.to_string(), x);
                            }
                        }
                    }
                }
            }
            m.values_mut().for_each(fix_link_keys);
        }
        Value::Array(a) => a.iter_mut().for_each(fix_link_keys),
        _ => {}
    }
}

/// The served copy, built once.
pub(crate) static SERVED: LazyLock<String> = LazyLock::new(to_json);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_use_the_openapi_field_names() {
        let v: serde_json::Value = serde_json::from_str(&to_json()).unwrap();
        let links = &v["paths"]["/api/v2/token"]["post"]["responses"]["201"]["links"];
        assert_eq!(links["status"]["operationId"], "getStatus");
        assert_eq!(
            links["status"]["requestBody"]["scanRef"],
            "$response.body#/scanRef"
        );
        assert!(!to_json().contains("\"operation_id\""));
        assert!(!to_json().contains("\"request_body\""));
        // Every link names an operation of the document.
        let ops: Vec<&str> = v["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        for item in v["paths"].as_object().unwrap().values() {
            for op in item.as_object().unwrap().values() {
                for resp in op["responses"].as_object().unwrap().values() {
                    for link in resp["links"]
                        .as_object()
                        .into_iter()
                        .flat_map(|l| l.values())
                    {
                        let target = link["operationId"].as_str().unwrap();
                        assert!(ops.contains(&target), "{target}");
                    }
                }
            }
        }
    }

    #[test]
    fn fix_link_keys_renames_only_link_fields() {
        let mut v = serde_json::json!({
            "links": {"a": {"operation_id": "x", "request_body": {"operation_id": 1}}},
            "operation_id": "kept",
            "nested": [{"links": {"b": {"operation_ref": "#/r"}}}]
        });
        fix_link_keys(&mut v);
        assert_eq!(
            v,
            serde_json::json!({
                "links": {"a": {"operationId": "x", "requestBody": {"operation_id": 1}}},
                "operation_id": "kept",
                "nested": [{"links": {"b": {"operationRef": "#/r"}}}]
            })
        );
    }
}
