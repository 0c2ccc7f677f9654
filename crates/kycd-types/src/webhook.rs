//! The verification result: the `IdentificationWebhook` body (idenfy-api.md §5.6–5.9), every key always present.

use crate::enums::{
    AdditionalStepsStatus, DocSex, DocumentStatus, DocumentType, FaceStatus, FraudTag, MismatchTag,
    OverallStatus, Platform,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The `status` object (§5.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StatusBlock {
    /// Overall decision.
    pub overall: OverallStatus,
    /// Fraud tags (empty when none).
    pub fraud_tags: Vec<FraudTag>,
    /// Mismatch tags (empty when none).
    pub mismatch_tags: Vec<MismatchTag>,
    /// Automatic face result.
    pub auto_face: FaceStatus,
    /// Manual face result (null until reviewed).
    pub manual_face: Option<FaceStatus>,
    /// Automatic document result.
    pub auto_document: DocumentStatus,
    /// Manual document result (null until reviewed).
    pub manual_document: Option<DocumentStatus>,
    /// Additional-step review result.
    pub additional_steps: Option<AdditionalStepsStatus>,
    /// Legacy list, always empty.
    pub suspicion_reasons: Vec<String>,
}

impl StatusBlock {
    /// The status of a verification decided without analysing anything (an expired session, a token never
    /// used): `overall`, no tags, face not checked, document not analysed, no manual results.
    pub fn not_analysed(overall: OverallStatus) -> Self {
        Self {
            overall,
            fraud_tags: vec![],
            mismatch_tags: vec![],
            auto_face: FaceStatus::FaceNotChecked,
            manual_face: None,
            auto_document: DocumentStatus::DocNotAnalysed,
            manual_document: None,
            additional_steps: None,
            suspicion_reasons: vec![],
        }
    }
}

/// The `data` object (§5.8). Every key is emitted, `null` where unknown.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct DataBlock {
    pub doc_first_name: Option<String>,
    pub doc_last_name: Option<String>,
    pub doc_number: Option<String>,
    pub doc_personal_code: Option<String>,
    pub doc_expiry: Option<String>,
    pub doc_dob: Option<String>,
    pub doc_date_of_issue: Option<String>,
    pub doc_type: Option<DocumentType>,
    pub doc_sex: Option<DocSex>,
    pub doc_nationality: Option<String>,
    pub doc_issuing_country: Option<String>,
    pub selected_country: Option<String>,
    pub birth_place: Option<String>,
    pub authority: Option<String>,
    pub address: Option<String>,
    pub doc_temporary_address: Option<String>,
    pub mothers_maiden_name: Option<String>,
    pub doc_birth_name: Option<String>,
    pub doc_patronymic: Option<String>,
    pub driver_license_category: Option<String>,
    pub manually_data_changed: bool,
    pub full_name: Option<String>,
    pub org_first_name: Option<String>,
    pub org_last_name: Option<String>,
    pub org_nationality: Option<String>,
    pub org_birth_place: Option<String>,
    pub org_authority: Option<String>,
    pub org_address: Option<String>,
    pub org_temporary_address: Option<String>,
    pub org_mothers_maiden_name: Option<String>,
    pub org_patronymic: Option<String>,
    pub org_birth_name: Option<String>,
    pub age_estimate: Option<String>,
    pub client_ip_proxy_risk_level: Option<String>,
    pub duplicate_faces: Option<Vec<String>>,
    pub duplicate_doc_faces: Option<Vec<String>>,
    pub additional_data: Option<serde_json::Value>,
    /// Older payloads (and the go-idenfy sample) carry these inside `data` as well as at the top level.
    pub manual_address: Option<String>,
    pub manual_address_match: bool,
    pub registry_center_check: Option<serde_json::Value>,
    pub address_verification: Option<serde_json::Value>,
}

/// The whole webhook body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[allow(missing_docs)]
pub struct IdentificationResult {
    #[serde(rename = "final")]
    pub is_final: bool,
    pub platform: Platform,
    pub status: StatusBlock,
    pub data: DataBlock,
    pub file_urls: BTreeMap<String, Option<String>>,
    pub additional_step_pdf_urls: BTreeMap<String, Option<String>>,
    #[serde(rename = "AML")]
    pub aml: Option<Vec<serde_json::Value>>,
    pub aml_check: Option<serde_json::Value>,
    #[serde(rename = "LID")]
    pub lid: Option<Vec<serde_json::Value>>,
    #[serde(rename = "CRIMINAL_CHECK")]
    pub criminal_check: Option<Vec<serde_json::Value>>,
    pub scan_ref: String,
    pub external_ref: Option<String>,
    pub client_id: String,
    pub company_id: Option<String>,
    pub beneficiary_id: Option<String>,
    pub start_time: i64,
    pub finish_time: i64,
    pub client_ip: Option<String>,
    pub client_ip_country: Option<String>,
    pub client_location: Option<String>,
    pub gdc_match: Option<bool>,
    pub manual_address: Option<String>,
    pub manual_address_match: bool,
    pub additional_steps: Option<BTreeMap<String, Option<String>>>,
    pub registry_center_check: Option<serde_json::Value>,
    pub address_verification: Option<serde_json::Value>,
    pub questionnaire_answers: Option<serde_json::Value>,
    pub risk_assessment: Option<serde_json::Value>,
    /// kycd's own per-check evidence (scores, thresholds, rules that fired). iDenfy clients ignore this key.
    pub kycd: Option<serde_json::Value>,
}

impl IdentificationResult {
    /// A body with every key present: `final: true`, the given status and times, empty data, no files.
    pub fn new(
        scan_ref: &str,
        client_id: &str,
        status: StatusBlock,
        start_time: i64,
        finish_time: i64,
    ) -> Self {
        IdentificationResult {
            is_final: true,
            platform: Platform::Other,
            status,
            data: DataBlock::default(),
            file_urls: BTreeMap::new(),
            additional_step_pdf_urls: BTreeMap::new(),
            aml: None,
            aml_check: None,
            lid: None,
            criminal_check: None,
            scan_ref: scan_ref.into(),
            external_ref: None,
            client_id: client_id.into(),
            company_id: None,
            beneficiary_id: None,
            start_time,
            finish_time,
            client_ip: None,
            client_ip_country: None,
            client_location: None,
            gdc_match: None,
            manual_address: None,
            manual_address_match: false,
            additional_steps: None,
            registry_center_check: None,
            address_verification: None,
            questionnaire_answers: None,
            risk_assessment: None,
            kycd: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_present_even_when_null() {
        let r = IdentificationResult::new(
            "x",
            "c",
            StatusBlock::not_analysed(OverallStatus::Denied),
            1,
            2,
        );
        let v = serde_json::to_value(&r).unwrap();
        for k in [
            "final",
            "AML",
            "LID",
            "CRIMINAL_CHECK",
            "fileUrls",
            "amlCheck",
            "manualAddressMatch",
        ] {
            assert!(v.get(k).is_some(), "missing {k}");
        }
        assert!(v["data"].get("docFirstName").unwrap().is_null());
        assert_eq!(v["data"].as_object().unwrap().len(), 41);
        assert_eq!(v["status"]["autoDocument"], "DOC_NOT_ANALYSED");
    }
}
