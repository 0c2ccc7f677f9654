//! Sandbox verifications (iDenfy's DEV environment, idenfy-api.md §2.1.1 and §7.12): a sandbox partner's token with
//! `dummyStatus` gets a canned automatic result instead of an analysis. Nothing is read from images (none are
//! stored) and no derived data (embeddings, keyed hashes) is written, so a sandbox verification never counts as a
//! duplicate or a blocklist match of another one. The canned result then travels the normal way: stored result,
//! signed webhook through the outbox, manual decision by `/api/v2/add-dummy-status`.
//!
//! | `dummyStatus` | `autoFace` | `autoDocument` | tags | `overall` (`final`) |
//! |---|---|---|---|---|
//! | `APPROVED` | `FACE_MATCH` | `DOC_VALIDATED` | — | `APPROVED` (true) |
//! | `DENIED` | `FACE_MISMATCH` | `DOC_VALIDATED` | — | `DENIED` (true) |
//! | `SUSPECTED` | `FACE_MATCH` | `DOC_VALIDATED` | fraud `FACE_SUSPECTED` | `SUSPECTED` (true) |
//! | `REVIEWING` | `FACE_MATCH` | `DOC_VALIDATED` | — | `REVIEWING` (false: a manual result follows) |
//!
//! `EXPIRED` never reaches a worker: its token is created expired and the expiry sweeper sends the
//! `IDENTIFICATION_EXPIRED` webhook. The `data` fields are the token's prefill where given, else fixed sample values.

use crate::decision::{CheckResults, decide};
use crate::run::Evaluated;
use kycd_store::VerificationRow;
use kycd_types::token::TokenSettings;
use kycd_types::webhook::DataBlock;
use kycd_types::{DocSex, DocumentStatus, DocumentType, DummyStatus, FaceStatus, FraudTag};
use serde_json::json;
use std::collections::BTreeMap;

/// The canned statuses of a dummy status (the table of the module documentation).
pub fn canned_results(token: &TokenSettings, dummy: DummyStatus) -> CheckResults {
    let face = match dummy {
        DummyStatus::Denied => FaceStatus::FaceMismatch,
        _ => FaceStatus::FaceMatch,
    };
    let fraud_tags = match dummy {
        DummyStatus::Suspected => vec![FraudTag::FaceSuspected],
        _ => vec![],
    };
    CheckResults {
        token_type: token.token_type,
        face,
        document: DocumentStatus::DocValidated,
        fraud_tags,
        mismatch_tags: vec![],
        additional_steps: None,
    }
}

/// The canned `data` object: the token's prefill, else sample values; the document type and country as given at
/// `/process`.
fn canned_data(
    document_type: Option<&str>,
    country: Option<&str>,
    token: &TokenSettings,
) -> DataBlock {
    let first = token.first_name.clone().unwrap_or_else(|| "JOHN".into());
    let last = token.last_name.clone().unwrap_or_else(|| "SAMPLE".into());
    let sex = match token.sex.as_deref() {
        Some("M") => DocSex::Male,
        Some("F") => DocSex::Female,
        _ => DocSex::Undefined,
    };
    DataBlock {
        full_name: Some(format!("{first} {last}")),
        doc_first_name: Some(first),
        doc_last_name: Some(last),
        doc_number: Some(
            token
                .document_number
                .clone()
                .unwrap_or_else(|| "SANDBOX01".into()),
        ),
        doc_personal_code: token.personal_number.clone(),
        doc_dob: Some(
            token
                .date_of_birth
                .clone()
                .unwrap_or_else(|| "1990-01-01".into()),
        ),
        doc_expiry: Some(
            token
                .date_of_expiry
                .clone()
                .unwrap_or_else(|| "2035-12-31".into()),
        ),
        doc_date_of_issue: token.date_of_issue.clone(),
        doc_type: document_type.and_then(|d| d.parse::<DocumentType>().ok()),
        doc_sex: Some(sex),
        doc_nationality: token
            .nationality
            .clone()
            .or_else(|| country.map(str::to_string)),
        doc_issuing_country: country.map(str::to_string),
        address: token.address.clone(),
        ..DataBlock::default()
    }
}

/// The evaluated verification of a sandbox token: canned statuses and data, evidence saying so.
pub fn evaluate(v: &VerificationRow, token: &TokenSettings, dummy: DummyStatus) -> Evaluated {
    let results = canned_results(token, dummy);
    let (overall, status) = decide(&results);
    Evaluated {
        overall,
        status,
        data: canned_data(v.document_type.as_deref(), v.country.as_deref(), token),
        aml: None,
        additional_steps: BTreeMap::new(),
        evidence: json!({
            "sandbox": true,
            "dummyStatus": dummy.as_str(),
            "rules": [{
                "rule": "sandbox.dummy_status",
                "produced": dummy.as_str(),
                "detail": "sandbox partner: canned result of the token's dummyStatus, no analysis ran",
            }],
        }),
        portrait: None,
        readings: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kycd_types::OverallStatus;

    #[test]
    fn every_worker_dummy_status_derives_its_own_overall() {
        let token: TokenSettings = serde_json::from_value(serde_json::json!({
            "authToken": "a", "scanRef": "s", "clientId": "c", "personScanRef": null, "externalRef": null,
            "tokenType": "IDENTIFICATION", "firstName": "JANE", "lastName": null, "dateOfBirth": null, "sex": "F",
            "nationality": null, "personalNumber": null, "documentNumber": null, "dateOfExpiry": null,
            "dateOfIssue": null, "address": null, "country": null, "documents": [], "allowedDocuments": {},
            "registryCentersCountries": null, "expiryTime": 3600, "sessionLength": 600, "successUrl": null,
            "errorUrl": null, "unverifiedUrl": null, "callbackUrl": null, "locale": "en", "theme": null,
            "questionnaire": null, "riskAssessmentProfile": null, "utilityBill": false, "additionalSteps": null,
            "additionalData": null, "videoCallQuestions": [], "faceMatchingThresholdModifier": 1.0,
            "ageLimit": null, "ageMax": null, "digitString": null, "redirectUrl": null,
        }))
        .unwrap();
        let cases = [
            (DummyStatus::Approved, OverallStatus::Approved),
            (DummyStatus::Denied, OverallStatus::Denied),
            (DummyStatus::Suspected, OverallStatus::Suspected),
            // REVIEWING is an approved automatic result held for a person (decision::review::needs_review).
            (DummyStatus::Reviewing, OverallStatus::Approved),
        ];
        for (dummy, want) in cases {
            let (overall, _) = decide(&canned_results(&token, dummy));
            assert_eq!(overall, want, "{dummy}");
        }
        let data = canned_data(Some("PASSPORT"), Some("LT"), &token);
        assert_eq!(data.doc_first_name.as_deref(), Some("JANE"));
        assert_eq!(data.doc_last_name.as_deref(), Some("SAMPLE"));
        assert_eq!(data.doc_sex, Some(DocSex::Female));
        assert_eq!(data.doc_type, Some(DocumentType::Passport));
        assert_eq!(data.doc_nationality.as_deref(), Some("LT"));
    }
}
