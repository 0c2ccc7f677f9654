//! What the pipeline tests share: the reading of a valid passport that the fake document engines return.
#![allow(dead_code)]

use kycd_pipeline::checks::{DocData, DocumentFacts};
use kycd_types::DocumentType;

/// JOHN DOE's valid Lithuanian passport, as a document engine reports it.
pub fn passport() -> DocumentFacts {
    DocumentFacts {
        data: DocData {
            first_name: Some("JOHN".into()),
            last_name: Some("DOE".into()),
            number: Some("X1234567".into()),
            dob: Some("1980-01-01".into()),
            expiry: Some("2099-01-01".into()),
            nationality: Some("LT".into()),
            issuing_country: Some("LT".into()),
            doc_type: Some(DocumentType::Passport),
            ..DocData::default()
        },
        expiry_checked: true,
        evidence: serde_json::json!({}),
        ..DocumentFacts::default()
    }
}
