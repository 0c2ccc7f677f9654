//! Table tests: each status and tag arises from a crafted input, and `overall` follows.

use super::*;
use crate::checks::{AmlFacts, BillFacts, DocData, DocumentFacts, FaceFacts};
use kycd_types::DocSex;
use kycd_types::token::{CountryRestriction, TokenSettings};

fn token() -> TokenSettings {
    TokenSettings::minimal("a", "s", "client-1", kycd_types::TokenType::Identification)
}

fn doc() -> DocumentFacts {
    DocumentFacts {
        failure: None,
        failure_detail: String::new(),
        data: DocData {
            first_name: Some("JONAS".into()),
            last_name: Some("PETRAITIS".into()),
            number: Some("AB1234567".into()),
            personal_code: Some("38001010001".into()),
            dob: Some("1980-01-01".into()),
            expiry: Some("2031-05-05".into()),
            date_of_issue: None,
            sex: Some(DocSex::Male),
            nationality: Some("LT".into()),
            issuing_country: Some("LT".into()),
            doc_type: Some(DocumentType::Passport),
        },
        quality_issue: None,
        mrz_valid: true,
        expiry_checked: true,
        viz_mismatches: vec![],
        readings: Default::default(),
        specimen_text: false,
        portrait: None,
        upright_front: None,
        evidence: serde_json::Value::Null,
    }
}

fn face() -> FaceFacts {
    FaceFacts {
        status: FaceStatus::FaceMatch,
        doc_face_missing: false,
        same_photo: false,
        distance: Some(0.41),
        detail: String::new(),
        selfie_embedding: None,
        doc_embedding: None,
        evidence: serde_json::Value::Null,
    }
}

struct Case {
    token: TokenSettings,
    doc: Option<DocumentFacts>,
    face: Option<FaceFacts>,
    fraud: Option<FraudFacts>,
    aml: Option<AmlFacts>,
    bills: Vec<BillFacts>,
    declared: Option<DocumentType>,
    country: Option<&'static str>,
    software: Option<&'static str>,
}

impl Case {
    fn new() -> Self {
        Self {
            token: token(),
            doc: Some(doc()),
            face: Some(face()),
            fraud: Some(FraudFacts::default()),
            aml: None,
            bills: vec![],
            declared: Some(DocumentType::Passport),
            country: Some("LT"),
            software: None,
        }
    }
    fn run(&self) -> Decision {
        evaluate(&DecisionInput {
            token: &self.token,
            selected_country: self.country,
            declared_type: self.declared,
            document: self.doc.as_ref(),
            face: self.face.as_ref(),
            fraud: self.fraud.as_ref(),
            aml: self.aml.as_ref(),
            bills: &self.bills,
            today: "2026-11-26",
            editing_software: self.software,
        })
    }
}

#[test]
fn clean_verification_is_approved() {
    let d = Case::new().run();
    assert_eq!(d.overall, OverallStatus::Approved);
    assert_eq!(d.results.face, FaceStatus::FaceMatch);
    assert_eq!(d.results.document, DocumentStatus::DocValidated);
    assert!(d.rules.is_empty(), "{:?}", d.rules);
}

#[test]
fn document_statuses() {
    type Mutate = fn(&mut Case);
    let table: &[(&str, Mutate, DocumentStatus)] = &[
        (
            "no engine",
            |c| c.doc = None,
            DocumentStatus::DocNotAnalysed,
        ),
        (
            "analysis failure",
            |c| c.doc.as_mut().unwrap().failure = Some(DocumentStatus::DocTooBlurry),
            DocumentStatus::DocTooBlurry,
        ),
        (
            "mrz invalid",
            |c| c.doc.as_mut().unwrap().failure = Some(DocumentStatus::MrzInvalid),
            DocumentStatus::MrzInvalid,
        ),
        (
            "token documents",
            |c| c.token.documents = vec![DocumentType::IdCard],
            DocumentStatus::DocTypeMismatch,
        ),
        (
            "declared type",
            |c| c.declared = Some(DocumentType::DriverLicense),
            DocumentStatus::DocTypeMismatch,
        ),
        (
            "selected country",
            |c| c.country = Some("LV"),
            DocumentStatus::CountryMismatch,
        ),
        (
            "token country",
            |c| {
                c.country = None;
                c.token.country = Some(CountryRestriction::Many(vec!["EE".into(), "LV".into()]));
            },
            DocumentStatus::CountryMismatch,
        ),
        (
            "expired",
            |c| c.doc.as_mut().unwrap().data.expiry = Some("2026-11-25".into()),
            DocumentStatus::DocExpired,
        ),
        (
            "specimen name",
            |c| c.doc.as_mut().unwrap().data.last_name = Some("MUSTERMANN".into()),
            DocumentStatus::DocFake,
        ),
        (
            "specimen number",
            |c| c.doc.as_mut().unwrap().data.number = Some("L898902C3".into()),
            DocumentStatus::DocFake,
        ),
        (
            "specimen text",
            |c| c.doc.as_mut().unwrap().specimen_text = true,
            DocumentStatus::DocFake,
        ),
        (
            "no name",
            |c| {
                let d = &mut c.doc.as_mut().unwrap().data;
                d.first_name = None;
                d.last_name = None;
            },
            DocumentStatus::DocNameError,
        ),
        (
            "no number",
            |c| c.doc.as_mut().unwrap().data.number = None,
            DocumentStatus::DocNumberError,
        ),
        (
            "no portrait",
            |c| c.face.as_mut().unwrap().doc_face_missing = true,
            DocumentStatus::DocFaceNotFound,
        ),
    ];
    for (name, mutate, want) in table {
        let mut c = Case::new();
        mutate(&mut c);
        let d = c.run();
        assert_eq!(&d.results.document, want, "{name}");
        assert_eq!(d.overall, OverallStatus::Denied, "{name}");
        assert!(
            !d.rules.is_empty(),
            "{name}: a rule must explain the status"
        );
    }
}

#[test]
fn expiry_today_is_still_valid() {
    let mut c = Case::new();
    c.doc.as_mut().unwrap().data.expiry = Some("2026-11-26".into());
    assert_eq!(c.run().overall, OverallStatus::Approved);
}

#[test]
fn face_statuses() {
    for st in [
        FaceStatus::FaceMismatch,
        FaceStatus::FaceUncertain,
        FaceStatus::NoFaceFound,
        FaceStatus::TooManyFaces,
        FaceStatus::FaceTooBlurry,
        FaceStatus::FaceGlared,
    ] {
        let mut c = Case::new();
        c.face.as_mut().unwrap().status = st.clone();
        let d = c.run();
        assert_eq!(d.results.face, st);
        assert_eq!(d.overall, OverallStatus::Denied, "{st:?}");
    }
    let mut c = Case::new();
    c.face = None;
    assert_eq!(c.run().results.face, FaceStatus::FaceNotChecked);
    assert_eq!(c.run().overall, OverallStatus::Denied);
    // A document that was not found: the face was not analysed.
    let mut c = Case::new();
    c.doc.as_mut().unwrap().failure = Some(DocumentStatus::DocNotFound);
    assert_eq!(c.run().results.face, FaceStatus::FaceNotAnalysed);
}

#[test]
fn document_tokens_need_no_face() {
    let mut c = Case::new();
    c.token.token_type = TokenType::Document;
    c.face = None;
    let d = c.run();
    assert_eq!(d.results.face, FaceStatus::FaceNotChecked);
    assert_eq!(d.overall, OverallStatus::Approved);
}

#[test]
fn prefill_mismatch_tags() {
    type Mutate = fn(&mut TokenSettings);
    let table: &[(Mutate, MismatchTag)] = &[
        (|t| t.first_name = Some("PETRAS".into()), MismatchTag::Name),
        (
            |t| t.last_name = Some("KAZLAUSKAS".into()),
            MismatchTag::Surname,
        ),
        (
            |t| t.date_of_birth = Some("1980-01-02".into()),
            MismatchTag::DateOfBirth,
        ),
        (
            |t| t.document_number = Some("AB7654321".into()),
            MismatchTag::DocumentNumber,
        ),
        (
            |t| t.personal_number = Some("38001010002".into()),
            MismatchTag::PersonalCode,
        ),
        (
            |t| t.date_of_expiry = Some("2031-05-06".into()),
            MismatchTag::ExpiryDate,
        ),
        (
            |t| t.nationality = Some("LV".into()),
            MismatchTag::Nationality,
        ),
        (|t| t.sex = Some("F".into()), MismatchTag::Sex),
        (|t| t.age_limit = Some(50), MismatchTag::UnderAge),
        (|t| t.age_max = Some(40), MismatchTag::OverAge),
    ];
    for (mutate, want) in table {
        let mut c = Case::new();
        mutate(&mut c.token);
        let d = c.run();
        assert_eq!(d.results.mismatch_tags, vec![want.clone()], "{want:?}");
        assert_eq!(d.overall, OverallStatus::Suspected, "{want:?}");
    }
}

#[test]
fn agreeing_prefill_gives_no_tags() {
    let mut c = Case::new();
    c.token.first_name = Some("Jonas".into());
    c.token.last_name = Some("Petraitis".into());
    c.token.date_of_birth = Some("1980-01-01".into());
    c.token.document_number = Some("ab1234567".into());
    c.token.nationality = Some("lt".into());
    c.token.sex = Some("M".into());
    c.token.age_limit = Some(18);
    c.token.age_max = Some(60);
    let d = c.run();
    assert_eq!(d.overall, OverallStatus::Approved, "{:?}", d.rules);
}

#[test]
fn name_comparison_tolerates_case_diacritics_order_and_truncation() {
    assert!(names_agree("Jonas Petras", "PETRAS JONAS"));
    assert!(names_agree("Žilvinas", "ZILVINAS"));
    assert!(names_agree("Anna", "ANNA MARIA"));
    assert!(names_agree("Maximilian", "MAXIMIL"));
    assert!(!names_agree("Anna", "MARIA"));
    assert!(!names_agree("Jonas", "JO"));
}

#[test]
fn unknown_age_when_no_dob() {
    let mut c = Case::new();
    c.token.age_limit = Some(18);
    c.doc.as_mut().unwrap().data.dob = None;
    let d = c.run();
    assert_eq!(d.results.mismatch_tags, vec![MismatchTag::UnknownAge]);
    assert_eq!(age_on("2008-11-27", "2026-11-26"), Some(17));
    assert_eq!(age_on("2008-11-26", "2026-11-26"), Some(18));
}

#[test]
fn mrz_and_visual_zone_disagreement() {
    let mut c = Case::new();
    c.doc.as_mut().unwrap().viz_mismatches = vec!["date_of_birth".into(), "document_number".into()];
    let d = c.run();
    assert_eq!(d.results.mismatch_tags, vec![MismatchTag::DocInfoMismatch]);
    assert_eq!(d.overall, OverallStatus::Suspected);
    // One field is within OCR error: evidence only.
    let mut c = Case::new();
    c.doc.as_mut().unwrap().viz_mismatches = vec!["date_of_birth".into()];
    let d = c.run();
    assert_eq!(d.overall, OverallStatus::Approved);
    assert!(d.rules.iter().any(|r| r.rule == "mrz-vs-visual-zone"));
}

#[test]
fn fraud_tags_from_checks() {
    type Mutate = fn(&mut Case);
    let table: &[(Mutate, FraudTag)] = &[
        (
            |c| c.fraud.as_mut().unwrap().duplicate_faces = vec!["x".into()],
            FraudTag::DuplicateFace,
        ),
        (
            |c| c.fraud.as_mut().unwrap().duplicate_doc_faces = vec!["x".into()],
            FraudTag::DuplicateDocFace,
        ),
        (
            |c| c.fraud.as_mut().unwrap().duplicate_personal_data = vec!["x".into()],
            FraudTag::DuplicatePersonalData,
        ),
        (
            |c| c.fraud.as_mut().unwrap().face_blacklisted = vec!["x".into()],
            FraudTag::FaceBlacklisted,
        ),
        (
            |c| c.fraud.as_mut().unwrap().doc_face_blacklisted = vec!["x".into()],
            FraudTag::DocFaceBlacklisted,
        ),
        (
            |c| c.fraud.as_mut().unwrap().data_blacklisted = vec!["x".into()],
            FraudTag::DataBlacklisted,
        ),
        (
            |c| c.fraud.as_mut().unwrap().reused_images = vec!["x".into()],
            FraudTag::FakePhoto,
        ),
        (
            |c| {
                c.aml = Some(AmlFacts {
                    hit: true,
                    failed: false,
                    detail: "UN 90".into(),
                    array: vec![],
                })
            },
            FraudTag::AmlSuspection,
        ),
        (
            |c| {
                c.aml = Some(AmlFacts {
                    hit: false,
                    failed: true,
                    detail: "no lists".into(),
                    array: vec![],
                })
            },
            FraudTag::AmlFailed,
        ),
    ];
    for (mutate, want) in table {
        let mut c = Case::new();
        mutate(&mut c);
        let d = c.run();
        assert_eq!(d.results.fraud_tags, vec![want.clone()], "{want:?}");
        assert_eq!(d.overall, OverallStatus::Suspected, "{want:?}");
    }
}

#[test]
fn token_flags_switch_fraud_checks_off() {
    let mut c = Case::new();
    c.fraud.as_mut().unwrap().duplicate_faces = vec!["x".into()];
    c.token.flags.insert("checkDuplicateFaces".into(), false);
    assert_eq!(c.run().overall, OverallStatus::Approved);
}

#[test]
fn fraud_checks_do_not_tag_denied_verifications() {
    let mut c = Case::new();
    c.face.as_mut().unwrap().status = FaceStatus::FaceMismatch;
    c.fraud.as_mut().unwrap().duplicate_faces = vec!["x".into()];
    let d = c.run();
    assert!(d.results.fraud_tags.is_empty());
    assert_eq!(d.overall, OverallStatus::Denied);
}

#[test]
fn image_integrity_signals() {
    let mut c = Case::new();
    c.face.as_mut().unwrap().same_photo = true;
    let d = c.run();
    assert_eq!(d.results.fraud_tags, vec![FraudTag::FakePhoto]);
    assert_eq!(d.overall, OverallStatus::Suspected);
    let mut c = Case::new();
    c.software = Some("Adobe Photoshop 25.0");
    let d = c.run();
    assert_eq!(d.results.fraud_tags, vec![FraudTag::FakePhoto]);
    assert!(d.rules.iter().any(|r| r.rule == "editing-software"));
}

#[test]
fn additional_steps() {
    let mut c = Case::new();
    c.bills = vec![BillFacts {
        step: "UTILITY_BILL".into(),
        step_type: "COMPARE".into(),
        status: AdditionalStepsStatus::Invalid,
        mismatch_tags: vec![(MismatchTag::UtilityAddress, "address differs".into())],
        data: serde_json::Value::Null,
        evidence: serde_json::Value::Null,
    }];
    let d = c.run();
    assert_eq!(
        d.results.additional_steps,
        Some(AdditionalStepsStatus::Invalid)
    );
    assert_eq!(d.results.mismatch_tags, vec![MismatchTag::UtilityAddress]);
    assert_eq!(d.overall, OverallStatus::Suspected);
    c.bills[0].status = AdditionalStepsStatus::Valid;
    c.bills[0].mismatch_tags.clear();
    let d = c.run();
    assert_eq!(
        d.results.additional_steps,
        Some(AdditionalStepsStatus::Valid)
    );
    assert_eq!(d.overall, OverallStatus::Approved);
}

#[test]
fn documented_rule_on_statuses() {
    let r = CheckResults {
        token_type: TokenType::Identification,
        face: FaceStatus::FaceMatch,
        document: DocumentStatus::DocValidated,
        fraud_tags: vec![],
        mismatch_tags: vec![],
        additional_steps: None,
    };
    assert_eq!(decide(&r).0, OverallStatus::Approved);
    let mut s = r.clone();
    s.fraud_tags.push(FraudTag::AmlSuspection);
    assert_eq!(decide(&s).0, OverallStatus::Suspected);
    let mut s = r.clone();
    s.document = DocumentStatus::DocNotAnalysed;
    assert_eq!(decide(&s).0, OverallStatus::Denied);
}

#[test]
fn expired_document_with_an_invalid_mrz_is_expired() {
    let mut c = Case::new();
    let d = c.doc.as_mut().unwrap();
    d.failure = Some(DocumentStatus::MrzInvalid);
    d.failure_detail = "MRZ: MRZ_INVALID".into();
    d.data.expiry = Some("2020-01-01".into());
    assert_eq!(c.run().results.document, DocumentStatus::DocExpired);
    // Without a holding check digit on the expiry, the MRZ failure stands.
    c.doc.as_mut().unwrap().expiry_checked = false;
    assert_eq!(c.run().results.document, DocumentStatus::MrzInvalid);
    // A valid expiry does not hide the MRZ failure.
    let d = c.doc.as_mut().unwrap();
    d.expiry_checked = true;
    d.data.expiry = Some("2031-05-05".into());
    assert_eq!(c.run().results.document, DocumentStatus::MrzInvalid);
}

#[test]
fn expired_document_whose_mrz_glare_hides_is_expired() {
    let mut c = Case::new();
    let d = c.doc.as_mut().unwrap();
    d.failure = Some(DocumentStatus::DocGlared);
    d.failure_detail = "glare hides part of the MRZ".into();
    d.data.expiry = Some("2020-01-01".into());
    assert_eq!(c.run().results.document, DocumentStatus::DocExpired);
    // Not expired: the glare is what the customer hears about.
    c.doc.as_mut().unwrap().data.expiry = Some("2031-05-05".into());
    assert_eq!(c.run().results.document, DocumentStatus::DocGlared);
}

#[test]
fn quality_issues_reject_only_what_was_not_read_in_full() {
    let mut c = Case::new();
    c.doc.as_mut().unwrap().quality_issue = Some(DocumentStatus::DocGlared);
    // No portrait was cropped: the glare may hide it.
    assert_eq!(c.run().results.document, DocumentStatus::DocGlared);
    c.doc.as_mut().unwrap().portrait = Some(vec![1, 2, 3]);
    let d = c.run();
    assert_eq!(d.results.document, DocumentStatus::DocValidated);
    assert!(
        d.rules
            .iter()
            .any(|r| r.rule == "quality-gate" && r.produced == "NONE")
    );
    // The visual zone disagrees with the MRZ: the glare may have changed a field.
    c.doc.as_mut().unwrap().viz_mismatches = vec!["surname".into()];
    assert_eq!(c.run().results.document, DocumentStatus::DocGlared);
    // The MRZ does not validate.
    let d = c.doc.as_mut().unwrap();
    d.viz_mismatches.clear();
    d.mrz_valid = false;
    assert_eq!(c.run().results.document, DocumentStatus::DocGlared);
}
