//! The iDenfy decision (idenfy-api.md §6.1, §8.4, §8.5): `autoDocument`, `autoFace`, `fraudTags`, `mismatchTags` and
//! `overall` from what the checks found.
//!
//! Two levels:
//! * [`decide`] — the documented rule: face = FACE_MATCH (or not needed) and document = DOC_VALIDATED → APPROVED, or
//!   SUSPECTED when any fraud or mismatch tag exists; anything else → DENIED.
//! * [`evaluate`] — derives the statuses and tags from the check facts ([`DecisionInput`]): quality/MRZ failures,
//!   token restrictions (country, document types), expiry, specimen documents, prefill mismatches, age limits,
//!   MRZ ↔ visual-zone disagreement, same-photo selfies, image reuse, editing software, duplicates, blocklists, AML
//!   and additional steps. Every rule that fires is recorded in [`Decision::rules`] for the `kycd` evidence object.

mod document;
pub mod review;

use crate::checks::{AmlFacts, BillFacts, DocumentFacts, FaceFacts};
pub use crate::fraud::FraudFacts;
pub use crate::fraud::consistency::{age_on, names_agree, parse_date};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::StatusBlock;
use kycd_types::{
    AdditionalStepsStatus, DocumentStatus, DocumentType, FaceStatus, FraudTag, MismatchTag,
    OverallStatus, TokenType,
};
use serde::Serialize;

/// The statuses and tags that decide `overall`.
#[derive(Debug, Clone)]
pub struct CheckResults {
    /// Token type (DOCUMENT tokens have no face check).
    pub token_type: TokenType,
    /// Automatic face status.
    pub face: FaceStatus,
    /// Automatic document status.
    pub document: DocumentStatus,
    /// Fraud tags.
    pub fraud_tags: Vec<FraudTag>,
    /// Mismatch tags.
    pub mismatch_tags: Vec<MismatchTag>,
    /// Additional-step review result.
    pub additional_steps: Option<AdditionalStepsStatus>,
}

/// Whether the face status passes for this token type.
fn face_passes(token_type: TokenType, face: &FaceStatus) -> bool {
    match token_type {
        TokenType::Document => matches!(face, FaceStatus::FaceNotChecked | FaceStatus::FaceMatch),
        _ => *face == FaceStatus::FaceMatch,
    }
}

/// Whether face and document pass (the fraud checks run only then, idenfy-api.md §6.1).
pub fn core_passes(token_type: TokenType, face: &FaceStatus, document: &DocumentStatus) -> bool {
    face_passes(token_type, face) && *document == DocumentStatus::DocValidated
}

/// Derives `overall`: face and document pass → APPROVED, or SUSPECTED when any fraud or mismatch tag exists;
/// anything else → DENIED.
pub fn decide(r: &CheckResults) -> (OverallStatus, StatusBlock) {
    let passes = core_passes(r.token_type, &r.face, &r.document);
    let overall = if !passes {
        OverallStatus::Denied
    } else if !r.fraud_tags.is_empty() || !r.mismatch_tags.is_empty() {
        OverallStatus::Suspected
    } else {
        OverallStatus::Approved
    };
    let status = StatusBlock {
        overall,
        fraud_tags: r.fraud_tags.clone(),
        mismatch_tags: r.mismatch_tags.clone(),
        auto_face: r.face.clone(),
        manual_face: None,
        auto_document: r.document.clone(),
        manual_document: None,
        additional_steps: r.additional_steps,
        suspicion_reasons: vec![],
    };
    (overall, status)
}

/// Everything [`evaluate`] looks at.
#[derive(Debug, Clone)]
pub struct DecisionInput<'a> {
    /// The effective token.
    pub token: &'a TokenSettings,
    /// Country selected at `/process`.
    pub selected_country: Option<&'a str>,
    /// Document type declared at `/process` (or detected there).
    pub declared_type: Option<DocumentType>,
    /// Document analysis (`None`: no document engine installed).
    pub document: Option<&'a DocumentFacts>,
    /// Face analysis (`None`: no face engine installed or a DOCUMENT token).
    pub face: Option<&'a FaceFacts>,
    /// Duplicate and blocklist searches (`None` when they did not run).
    pub fraud: Option<&'a FraudFacts>,
    /// AML screening (`None` when it did not run: `checkAml` off, or the verification would not pass).
    pub aml: Option<&'a AmlFacts>,
    /// Additional steps (utility bill …).
    pub bills: &'a [BillFacts],
    /// Today's date, `YYYY-MM-DD` (expiry and age).
    pub today: &'a str,
    /// Editing software named in the images' metadata.
    pub editing_software: Option<&'a str>,
}

/// One rule that fired, for the evidence object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rule {
    /// Rule id.
    pub rule: &'static str,
    /// The status or tag it produced.
    pub produced: String,
    /// Human-readable detail (no personal data).
    pub detail: String,
}

/// The decision with its statuses, tags and the rules that produced them.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Statuses and tags.
    pub results: CheckResults,
    /// `overall`.
    pub overall: OverallStatus,
    /// The webhook `status` object.
    pub status: StatusBlock,
    /// Rules that fired.
    pub rules: Vec<Rule>,
}

impl Decision {
    /// Whether face and document pass (the fraud checks should run).
    pub fn core_passes(&self) -> bool {
        core_passes(
            self.results.token_type,
            &self.results.face,
            &self.results.document,
        )
    }
}

pub(crate) struct Builder {
    pub(crate) rules: Vec<Rule>,
    fraud: Vec<FraudTag>,
    mismatch: Vec<MismatchTag>,
}

impl Builder {
    pub(crate) fn fraud(&mut self, tag: FraudTag, rule: &'static str, detail: String) {
        if !self.fraud.contains(&tag) {
            self.rules.push(Rule {
                rule,
                produced: tag.as_str().to_string(),
                detail,
            });
            self.fraud.push(tag);
        }
    }
    pub(crate) fn mismatch(&mut self, tag: MismatchTag, rule: &'static str, detail: String) {
        if !self.mismatch.contains(&tag) {
            self.rules.push(Rule {
                rule,
                produced: tag.as_str().to_string(),
                detail,
            });
            self.mismatch.push(tag);
        }
    }
    pub(crate) fn status(&mut self, produced: &str, rule: &'static str, detail: String) {
        self.rules.push(Rule {
            rule,
            produced: produced.to_string(),
            detail,
        });
    }
}

fn consistency(input: &DecisionInput<'_>, b: &mut Builder) {
    let Some(doc) = input.document else { return };
    for f in crate::fraud::consistency::check(input.token, doc, input.today) {
        match f.tag {
            Some(tag) => b.mismatch(tag, f.rule, f.detail),
            None => b.rules.push(Rule {
                rule: f.rule,
                produced: "NONE".into(),
                detail: f.detail,
            }),
        }
    }
}

fn fraud_tags(input: &DecisionInput<'_>, b: &mut Builder) {
    if let Some(face) = input.face
        && face.same_photo
    {
        b.fraud(
            FraudTag::FakePhoto,
            "selfie-is-document-portrait",
            "the selfie is the document portrait itself".into(),
        );
    }
    if let Some(sw) = input.editing_software {
        b.fraud(
            FraudTag::FakePhoto,
            "editing-software",
            format!("image metadata names editing software ({sw})"),
        );
    }
    let Some(f) = input.fraud else { return };
    let t = input.token;
    if t.flag("checkDuplicateFaces") && !f.duplicate_faces.is_empty() {
        b.fraud(
            FraudTag::DuplicateFace,
            "duplicate-face",
            format!("{} earlier verification(s)", f.duplicate_faces.len()),
        );
    }
    if t.flag("checkDuplicateDocFaces") && !f.duplicate_doc_faces.is_empty() {
        b.fraud(
            FraudTag::DuplicateDocFace,
            "duplicate-doc-face",
            format!("{} earlier verification(s)", f.duplicate_doc_faces.len()),
        );
    }
    if t.flag("checkDuplicatePersonalData") && !f.duplicate_personal_data.is_empty() {
        b.fraud(
            FraudTag::DuplicatePersonalData,
            "duplicate-personal-data",
            format!(
                "{} earlier verification(s)",
                f.duplicate_personal_data.len()
            ),
        );
    }
    if t.flag("checkFaceBlacklist") && !f.face_blacklisted.is_empty() {
        b.fraud(
            FraudTag::FaceBlacklisted,
            "blocklist-selfie",
            "selfie matches a blocklisted face".into(),
        );
    }
    if t.flag("checkDocFaceBlacklist") && !f.doc_face_blacklisted.is_empty() {
        b.fraud(
            FraudTag::DocFaceBlacklisted,
            "blocklist-document",
            "document portrait matches a blocklisted face".into(),
        );
    }
    if t.flag("checkPersonBlacklist") && !f.data_blacklisted.is_empty() {
        b.fraud(
            FraudTag::DataBlacklisted,
            "blocklist-data",
            "personal data matches a blocklist entry".into(),
        );
    }
    if !f.reused_images.is_empty() {
        b.fraud(
            FraudTag::FakePhoto,
            "image-reuse",
            format!(
                "an image of this verification was submitted for {} other client(s)",
                f.reused_images.len()
            ),
        );
    }
    if let Some(aml) = input.aml {
        if aml.failed {
            b.fraud(FraudTag::AmlFailed, "aml", aml.detail.clone());
        } else if aml.hit {
            b.fraud(FraudTag::AmlSuspection, "aml", aml.detail.clone());
        }
    }
}

fn bill_status(input: &DecisionInput<'_>, b: &mut Builder) -> Option<AdditionalStepsStatus> {
    if input.bills.is_empty() {
        return None;
    }
    let mut worst = AdditionalStepsStatus::Valid;
    for bill in input.bills {
        for (tag, detail) in &bill.mismatch_tags {
            b.mismatch(
                tag.clone(),
                "additional-step",
                format!("{}: {detail}", bill.step),
            );
        }
        match bill.status {
            AdditionalStepsStatus::NotFound => worst = AdditionalStepsStatus::NotFound,
            AdditionalStepsStatus::Invalid if worst == AdditionalStepsStatus::Valid => {
                worst = AdditionalStepsStatus::Invalid
            }
            _ => {}
        }
    }
    Some(worst)
}

/// Whether face and document would pass on these findings: the duplicate, blocklist and AML searches run only then
/// (idenfy-api.md §6.1). The same rules as [`evaluate`], without the tags.
pub fn would_pass(input: &DecisionInput<'_>) -> bool {
    let mut scratch = Builder {
        rules: Vec::new(),
        fraud: Vec::new(),
        mismatch: Vec::new(),
    };
    let document = document::status(input, &mut scratch);
    let face = document::face_status(input, &document, &mut scratch);
    core_passes(input.token.token_type, &face, &document)
}

/// Derives statuses, tags and `overall` from the check facts.
pub fn evaluate(input: &DecisionInput<'_>) -> Decision {
    let mut b = Builder {
        rules: Vec::new(),
        fraud: Vec::new(),
        mismatch: Vec::new(),
    };
    let document = document::status(input, &mut b);
    let face = document::face_status(input, &document, &mut b);
    consistency(input, &mut b);
    let additional_steps = bill_status(input, &mut b);
    if core_passes(input.token.token_type, &face, &document) {
        fraud_tags(input, &mut b);
    }
    let results = CheckResults {
        token_type: input.token.token_type,
        face,
        document,
        fraud_tags: b.fraud,
        mismatch_tags: b.mismatch,
        additional_steps,
    };
    let (overall, status) = decide(&results);
    Decision {
        results,
        overall,
        status,
        rules: b.rules,
    }
}

#[cfg(test)]
mod tests;
