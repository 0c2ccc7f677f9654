//! The iDenfy error envelope: `{"message", "identifier", "documentation", "severity"}`.

use serde::Serialize;

/// Where the `documentation` key of every error points.
pub const DOCUMENTATION_URL: &str = "https://documentation.idenfy.com";

/// Stable machine codes of the error envelope (direct-processing.md, idenfy-api.md §4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorIdentifier {
    /// 401: missing, malformed or wrong credentials.
    Unauthorized,
    /// 405: wrong method on a known path.
    MethodNotAllowed,
    /// 400: body is not UTF-8, or an image is not valid base64.
    EncodingError,
    /// 400: body is not valid JSON, or a field has the wrong JSON type.
    JsonError,
    /// 400: a required field or image is absent.
    MissingValue,
    /// 400: a value is invalid.
    BadValue,
    /// 400: token unknown, of another partner, expired, or already used.
    TokenNotValid,
    /// 403: the contract does not allow the action.
    PartnerContractError,
    /// 400: not permitted.
    PermissionsError,
    /// 400: a partner-side precondition failed (e.g. deleting while the token is active).
    PartnerError,
    /// 404: no such resource.
    NotFound,
    /// 413: request body over the limit.
    PayloadTooLarge,
    /// 429: rate limit.
    TooManyRequests,
    /// 500: anything unexpected.
    InternalError,
}

impl ErrorIdentifier {
    /// Every identifier, in declaration order.
    pub const ALL: [ErrorIdentifier; 14] = [
        Self::Unauthorized,
        Self::MethodNotAllowed,
        Self::EncodingError,
        Self::JsonError,
        Self::MissingValue,
        Self::BadValue,
        Self::TokenNotValid,
        Self::PartnerContractError,
        Self::PermissionsError,
        Self::PartnerError,
        Self::NotFound,
        Self::PayloadTooLarge,
        Self::TooManyRequests,
        Self::InternalError,
    ];

    /// The wire name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Unauthorized => "UNAUTHORIZED",
            Self::MethodNotAllowed => "METHOD_NOT_ALLOWED",
            Self::EncodingError => "ENCODING_ERROR",
            Self::JsonError => "JSON_ERROR",
            Self::MissingValue => "MISSING_VALUE",
            Self::BadValue => "BAD_VALUE",
            Self::TokenNotValid => "TOKEN_NOT_VALID",
            Self::PartnerContractError => "PARTNER_CONTRACT_ERROR",
            Self::PermissionsError => "PERMISSIONS_ERROR",
            Self::PartnerError => "PARTNER_ERROR",
            Self::NotFound => "NOT_FOUND",
            Self::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            Self::TooManyRequests => "TOO_MANY_REQUESTS",
            Self::InternalError => "INTERNAL_ERROR",
        }
    }

    /// The HTTP status code that goes with the identifier.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::Unauthorized => 401,
            Self::MethodNotAllowed => 405,
            Self::PartnerContractError => 403,
            Self::NotFound => 404,
            Self::PayloadTooLarge => 413,
            Self::TooManyRequests => 429,
            Self::InternalError => 500,
            Self::EncodingError
            | Self::JsonError
            | Self::MissingValue
            | Self::BadValue
            | Self::TokenNotValid
            | Self::PermissionsError
            | Self::PartnerError => 400,
        }
    }
}

impl utoipa::PartialSchema for ErrorIdentifier {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let by_status = Self::ALL
            .iter()
            .map(|i| format!("`{}` ({})", i.as_str(), i.http_status()))
            .collect::<Vec<_>>()
            .join(", ");
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(format!(
                "Stable machine code of an error, with the HTTP status it goes with: {by_status}."
            )))
            .enum_values(Some(Self::ALL.iter().map(|i| i.as_str())))
            .into()
    }
}

impl utoipa::ToSchema for ErrorIdentifier {}

/// One error as the partner sees it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{identifier:?}: {message}")]
pub struct ApiError {
    /// The machine code.
    pub identifier: ErrorIdentifier,
    /// Human-readable text naming the field or step at fault.
    pub message: String,
}

impl ApiError {
    /// Builds an error.
    pub fn new(identifier: ErrorIdentifier, message: impl Into<String>) -> Self {
        Self {
            identifier,
            message: message.into(),
        }
    }

    /// The JSON envelope.
    pub fn envelope(&self) -> ErrorEnvelope<'_> {
        ErrorEnvelope {
            message: &self.message,
            identifier: self.identifier.as_str(),
            documentation: DOCUMENTATION_URL,
            severity: "NOT_SEVERE",
        }
    }
}

/// Serialised form of [`ApiError`]: the iDenfy error envelope, the body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(example = json!({
    "message": "No image provided for step 'BACK'",
    "identifier": "MISSING_VALUE",
    "documentation": DOCUMENTATION_URL,
    "severity": "NOT_SEVERE"
}))]
pub struct ErrorEnvelope<'a> {
    /// Human-readable text naming the field or step at fault; its wording may change.
    pub message: &'a str,
    /// Machine code.
    #[schema(value_type = ErrorIdentifier)]
    pub identifier: &'a str,
    /// Documentation URL.
    #[schema(example = json!(DOCUMENTATION_URL))]
    pub documentation: &'a str,
    /// Always `NOT_SEVERE`.
    #[schema(value_type = String, example = "NOT_SEVERE")]
    pub severity: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_has_the_four_keys() {
        let e = ApiError::new(
            ErrorIdentifier::MissingValue,
            "No image provided for step 'BACK'",
        );
        let v = serde_json::to_value(e.envelope()).unwrap();
        assert_eq!(v["identifier"], "MISSING_VALUE");
        assert_eq!(v["severity"], "NOT_SEVERE");
        assert_eq!(v["message"], "No image provided for step 'BACK'");
        assert!(v["documentation"].is_string());
        assert_eq!(v.as_object().unwrap().len(), 4);
    }

    #[test]
    fn all_lists_every_identifier_once() {
        // An exhaustive match: adding a variant breaks the build here until it is placed in ALL.
        fn index(i: ErrorIdentifier) -> usize {
            use ErrorIdentifier::*;
            match i {
                Unauthorized => 0,
                MethodNotAllowed => 1,
                EncodingError => 2,
                JsonError => 3,
                MissingValue => 4,
                BadValue => 5,
                TokenNotValid => 6,
                PartnerContractError => 7,
                PermissionsError => 8,
                PartnerError => 9,
                NotFound => 10,
                PayloadTooLarge => 11,
                TooManyRequests => 12,
                InternalError => 13,
            }
        }
        for (n, i) in ErrorIdentifier::ALL.iter().enumerate() {
            assert_eq!(index(*i), n, "{i:?}");
        }
    }
}
