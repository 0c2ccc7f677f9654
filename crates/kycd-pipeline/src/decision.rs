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

use crate::checks::{AmlFacts, BillFacts, DocumentFacts, FaceFacts};
use kycd_types::token::TokenSettings;
use kycd_types::webhook::StatusBlock;
use kycd_types::{
    AdditionalStepsStatus, DocSex, DocumentStatus, DocumentType, FaceStatus, FraudTag, MismatchTag,
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

/// Results of the fraud checks that only run for would-be-approved verifications.
#[derive(Debug, Clone, Default)]
pub struct FraudFacts {
    /// Earlier verifications (other clientIds) whose selfie matches this selfie.
    pub duplicate_faces: Vec<String>,
    /// Earlier verifications (other clientIds) whose document portrait matches this one.
    pub duplicate_doc_faces: Vec<String>,
    /// Earlier verifications (other clientIds) with the same document number and date of birth.
    pub duplicate_personal_data: Vec<String>,
    /// Blocklisted selfies matched (scanRefs of the entries).
    pub face_blacklisted: Vec<String>,
    /// Blocklisted document portraits matched.
    pub doc_face_blacklisted: Vec<String>,
    /// Blocklisted personal data matched.
    pub data_blacklisted: Vec<String>,
    /// Other clients' verifications that contained byte-identical or perceptually identical images.
    pub reused_images: Vec<String>,
    /// AML screening outcome (`None` when `checkAml` is off).
    pub aml: Option<AmlFacts>,
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
    /// Fraud checks (`None` when they did not run).
    pub fraud: Option<&'a FraudFacts>,
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

/// Names and numbers of published specimen documents (ICAO 9303 examples, national specimens).
const SPECIMEN_NAMES: &[&str] = &[
    "SPECIMEN",
    "MUSTERMANN",
    "MUSTERFRAU",
    "SPECIMENOVA",
    "MUSTER",
    "SAMPLE",
    "ERIKSSON ANNA MARIA",
    "STORVIK",
    "HAPPY TRAVELER",
    "TRAVELER HAPPY",
];
const SPECIMEN_NUMBERS: &[&str] = &[
    "L898902C3",
    "L898902C",
    "D23145890",
    "123456789",
    "000000000",
];

fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let base = match c {
            'À'..='Å' | 'à'..='å' | 'Ā' | 'ā' | 'Ą' | 'ą' | 'Ă' | 'ă' => 'A',
            'Ç' | 'ç' | 'Č' | 'č' | 'Ć' | 'ć' => 'C',
            'Ď' | 'ď' | 'Đ' | 'đ' => 'D',
            'È'..='Ë' | 'è'..='ë' | 'Ē' | 'ē' | 'Ę' | 'ę' | 'Ė' | 'ė' | 'Ě' | 'ě' => {
                'E'
            }
            'Ì'..='Ï' | 'ì'..='ï' | 'Ī' | 'ī' | 'Į' | 'į' | 'İ' | 'ı' => 'I',
            'Ñ' | 'ñ' | 'Ň' | 'ň' | 'Ń' | 'ń' | 'Ņ' | 'ņ' => 'N',
            'Ò'..='Ö' | 'ò'..='ö' | 'Ø' | 'ø' | 'Ő' | 'ő' | 'Ō' | 'ō' => 'O',
            'Ù'..='Ü' | 'ù'..='ü' | 'Ū' | 'ū' | 'Ų' | 'ų' | 'Ů' | 'ů' | 'Ű' | 'ű' => {
                'U'
            }
            'Ý' | 'ý' | 'ÿ' | 'Ÿ' => 'Y',
            'Š' | 'š' | 'Ś' | 'ś' | 'Ş' | 'ş' => 'S',
            'Ž' | 'ž' | 'Ź' | 'ź' | 'Ż' | 'ż' => 'Z',
            'Ł' | 'ł' => 'L',
            'Ř' | 'ř' => 'R',
            'Ť' | 'ť' | 'Ţ' | 'ţ' => 'T',
            'Ģ' | 'ģ' | 'Ğ' | 'ğ' => 'G',
            'Ķ' | 'ķ' => 'K',
            'ß' => {
                out.push_str("SS");
                continue;
            }
            'Æ' | 'æ' => {
                out.push_str("AE");
                continue;
            }
            c if c.is_ascii_alphanumeric() => c.to_ascii_uppercase(),
            _ => ' ',
        };
        out.push(base);
    }
    out
}

/// Name tokens: upper-case ASCII, diacritics folded, punctuation as separators.
pub fn name_tokens(s: &str) -> Vec<String> {
    fold(s).split_whitespace().map(str::to_string).collect()
}

/// Whether a prefilled name agrees with the document's: the same tokens in any order, where a document token may be
/// a truncation (MRZ names are cut at the line length) or the prefill may omit middle names.
pub fn names_agree(prefill: &str, document: &str) -> bool {
    let p = name_tokens(prefill);
    let d = name_tokens(document);
    if p.is_empty() || d.is_empty() {
        return true;
    }
    let joined_p: String = p.concat();
    let joined_d: String = d.concat();
    if joined_p == joined_d {
        return true;
    }
    // Every prefill token is on the document (or is a prefix-truncation of one / the other way round).
    p.iter().all(|t| {
        d.iter().any(|u| {
            u == t
                || (u.len() >= 3 && t.starts_with(u.as_str()))
                || (t.len() >= 3 && u.starts_with(t.as_str()))
        })
    })
}

fn alnum(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// `YYYY-MM-DD` → (y, m, d).
pub fn parse_date(s: &str) -> Option<(i32, u32, u32)> {
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let y = s.get(0..4)?.parse().ok()?;
    let m = s.get(5..7)?.parse().ok()?;
    let d = s.get(8..10)?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

/// Age in whole years on `today`.
pub fn age_on(dob: &str, today: &str) -> Option<i64> {
    let (by, bm, bd) = parse_date(dob)?;
    let (ty, tm, td) = parse_date(today)?;
    let mut age = i64::from(ty - by);
    if (tm, td) < (bm, bd) {
        age -= 1;
    }
    (age >= 0).then_some(age)
}

fn sex_code(s: &str) -> Option<DocSex> {
    match s.trim().to_ascii_uppercase().as_str() {
        "M" | "MALE" => Some(DocSex::Male),
        "F" | "FEMALE" => Some(DocSex::Female),
        _ => None,
    }
}

/// Whether two document types are the same family for the type check (e.g. an ID card declared, an ID card read).
fn same_type(declared: DocumentType, read: DocumentType) -> bool {
    declared == read
}

struct Builder {
    rules: Vec<Rule>,
    fraud: Vec<FraudTag>,
    mismatch: Vec<MismatchTag>,
}

impl Builder {
    fn fraud(&mut self, tag: FraudTag, rule: &'static str, detail: String) {
        if !self.fraud.contains(&tag) {
            self.rules.push(Rule {
                rule,
                produced: tag.as_str().to_string(),
                detail,
            });
            self.fraud.push(tag);
        }
    }
    fn mismatch(&mut self, tag: MismatchTag, rule: &'static str, detail: String) {
        if !self.mismatch.contains(&tag) {
            self.rules.push(Rule {
                rule,
                produced: tag.as_str().to_string(),
                detail,
            });
            self.mismatch.push(tag);
        }
    }
    fn status(&mut self, produced: &str, rule: &'static str, detail: String) {
        self.rules.push(Rule {
            rule,
            produced: produced.to_string(),
            detail,
        });
    }
}

fn document_status(input: &DecisionInput<'_>, b: &mut Builder) -> DocumentStatus {
    let Some(doc) = input.document else {
        b.status(
            "DOC_NOT_ANALYSED",
            "no-document-engine",
            "no document engine is installed".into(),
        );
        return DocumentStatus::DocNotAnalysed;
    };
    if let Some(f) = &doc.failure {
        b.status(f.as_str(), "document-analysis", doc.failure_detail.clone());
        return f.clone();
    }
    let d = &doc.data;
    let token = input.token;
    // Type: the token's allowed list, then the declared type.
    if let Some(read) = d.doc_type {
        if !token.documents.is_empty() && !token.documents.contains(&read) {
            b.status(
                "DOC_TYPE_MISMATCH",
                "token-documents",
                format!(
                    "{} is not among the token's allowed document types",
                    read.as_str()
                ),
            );
            return DocumentStatus::DocTypeMismatch;
        }
        if let Some(declared) = input.declared_type
            && !same_type(declared, read)
        {
            b.status(
                "DOC_TYPE_MISMATCH",
                "declared-type",
                format!(
                    "declared {} but the document is a {}",
                    declared.as_str(),
                    read.as_str()
                ),
            );
            return DocumentStatus::DocTypeMismatch;
        }
    }
    // Country: the selected country and the token's restriction against the issuing country.
    if let Some(issuer) = d.issuing_country.as_deref() {
        if let Some(sel) = input.selected_country
            && !sel.eq_ignore_ascii_case(issuer)
        {
            b.status(
                "COUNTRY_MISMATCH",
                "selected-country",
                format!("selected {sel} but the document was issued by {issuer}"),
            );
            return DocumentStatus::CountryMismatch;
        }
        if let Some(r) = &token.country
            && !r.allows(issuer)
        {
            b.status(
                "COUNTRY_MISMATCH",
                "token-country",
                format!("issuing country {issuer} is not allowed by the token"),
            );
            return DocumentStatus::CountryMismatch;
        }
    }
    // Specimen documents.
    let full = format!(
        "{} {}",
        d.first_name.as_deref().unwrap_or(""),
        d.last_name.as_deref().unwrap_or("")
    );
    let folded = name_tokens(&full).join(" ");
    let folded_rev = name_tokens(&format!(
        "{} {}",
        d.last_name.as_deref().unwrap_or(""),
        d.first_name.as_deref().unwrap_or("")
    ))
    .join(" ");
    let specimen_name = SPECIMEN_NAMES.iter().any(|s| {
        let toks: Vec<&str> = folded.split(' ').collect();
        if s.contains(' ') {
            folded == *s || folded_rev == *s
        } else {
            toks.contains(s)
        }
    });
    let specimen_number = d
        .number
        .as_deref()
        .is_some_and(|n| SPECIMEN_NUMBERS.contains(&alnum(n).as_str()));
    if specimen_name || specimen_number || doc.specimen_text {
        b.status(
            "DOC_FAKE",
            "specimen",
            format!(
                "published specimen document ({})",
                if specimen_number {
                    "document number"
                } else if specimen_name {
                    "holder name"
                } else {
                    "SPECIMEN printed on the document"
                }
            ),
        );
        return DocumentStatus::DocFake;
    }
    // Expiry.
    if let Some(exp) = d.expiry.as_deref()
        && parse_date(exp).is_some()
        && exp < input.today
    {
        b.status(
            "DOC_EXPIRED",
            "expiry",
            format!("document expired on {exp}"),
        );
        return DocumentStatus::DocExpired;
    }
    // Essential fields.
    if d.last_name.is_none() && d.first_name.is_none() {
        b.status(
            "DOC_NAME_ERROR",
            "fields",
            "no holder name could be read".into(),
        );
        return DocumentStatus::DocNameError;
    }
    if d.number.is_none() {
        b.status(
            "DOC_NUMBER_ERROR",
            "fields",
            "no document number could be read".into(),
        );
        return DocumentStatus::DocNumberError;
    }
    // The document portrait is needed for the face match.
    if input.token.token_type != TokenType::Document
        && input.face.is_some_and(|f| f.doc_face_missing)
    {
        b.status(
            "DOC_FACE_NOT_FOUND",
            "portrait",
            "no face found on the document".into(),
        );
        return DocumentStatus::DocFaceNotFound;
    }
    DocumentStatus::DocValidated
}

fn face_status(input: &DecisionInput<'_>, doc: &DocumentStatus, b: &mut Builder) -> FaceStatus {
    if input.token.token_type == TokenType::Document {
        return FaceStatus::FaceNotChecked;
    }
    match doc {
        DocumentStatus::DocNotFound | DocumentStatus::DocNotAnalysed => {
            return FaceStatus::FaceNotAnalysed;
        }
        _ => {}
    }
    let Some(face) = input.face else {
        b.status(
            "FACE_NOT_CHECKED",
            "no-face-engine",
            "no face engine is installed".into(),
        );
        return FaceStatus::FaceNotChecked;
    };
    if face.status != FaceStatus::FaceMatch {
        let detail = match face.distance {
            Some(d) => format!("distance {d:.3}"),
            None => face.detail.clone(),
        };
        b.status(face.status.as_str(), "face", detail);
    }
    face.status.clone()
}

fn prefill_mismatches(input: &DecisionInput<'_>, b: &mut Builder) {
    let Some(doc) = input.document else { return };
    let t = input.token;
    let d = &doc.data;
    if let (Some(p), Some(v)) = (t.first_name.as_deref(), d.first_name.as_deref())
        && !names_agree(p, v)
    {
        b.mismatch(
            MismatchTag::Name,
            "prefill",
            "first name differs from the document".into(),
        );
    }
    if let (Some(p), Some(v)) = (t.last_name.as_deref(), d.last_name.as_deref())
        && !names_agree(p, v)
    {
        b.mismatch(
            MismatchTag::Surname,
            "prefill",
            "last name differs from the document".into(),
        );
    }
    let same = |a: &str, b: &str| alnum(a) == alnum(b);
    if let (Some(p), Some(v)) = (t.date_of_birth.as_deref(), d.dob.as_deref())
        && !same(p, v)
    {
        b.mismatch(
            MismatchTag::DateOfBirth,
            "prefill",
            "date of birth differs from the document".into(),
        );
    }
    if let (Some(p), Some(v)) = (t.document_number.as_deref(), d.number.as_deref())
        && !same(p, v)
    {
        b.mismatch(
            MismatchTag::DocumentNumber,
            "prefill",
            "document number differs from the document".into(),
        );
    }
    if let (Some(p), Some(v)) = (t.personal_number.as_deref(), d.personal_code.as_deref())
        && !same(p, v)
    {
        b.mismatch(
            MismatchTag::PersonalCode,
            "prefill",
            "personal number differs from the document".into(),
        );
    }
    if let (Some(p), Some(v)) = (t.date_of_expiry.as_deref(), d.expiry.as_deref())
        && !same(p, v)
    {
        b.mismatch(
            MismatchTag::ExpiryDate,
            "prefill",
            "expiry date differs from the document".into(),
        );
    }
    if let (Some(p), Some(v)) = (t.date_of_issue.as_deref(), d.date_of_issue.as_deref())
        && !same(p, v)
    {
        b.mismatch(
            MismatchTag::DateOfIssue,
            "prefill",
            "date of issue differs from the document".into(),
        );
    }
    if let (Some(p), Some(v)) = (t.nationality.as_deref(), d.nationality.as_deref())
        && !p.eq_ignore_ascii_case(v)
    {
        b.mismatch(
            MismatchTag::Nationality,
            "prefill",
            "nationality differs from the document".into(),
        );
    }
    if let (Some(p), Some(v)) = (t.sex.as_deref().and_then(sex_code), d.sex)
        && v != DocSex::Undefined
        && p != v
    {
        b.mismatch(
            MismatchTag::Sex,
            "prefill",
            "sex differs from the document".into(),
        );
    }
    // Age limits.
    if t.age_limit.is_some() || t.age_max.is_some() {
        match d.dob.as_deref().and_then(|dob| age_on(dob, input.today)) {
            None => b.mismatch(
                MismatchTag::UnknownAge,
                "age",
                "an age limit is set but no date of birth was read".into(),
            ),
            Some(age) => {
                if let Some(min) = t.age_limit
                    && age < min
                {
                    b.mismatch(
                        MismatchTag::UnderAge,
                        "age",
                        format!("age {age} below the limit {min}"),
                    );
                }
                if let Some(max) = t.age_max
                    && age > max
                {
                    b.mismatch(
                        MismatchTag::OverAge,
                        "age",
                        format!("age {age} above the maximum {max}"),
                    );
                }
            }
        }
    }
    // MRZ and visual zone disagree. A single differing field is within the visual-zone OCR's error rate
    // (measured on synthetic documents: about one field in four misread on clean photos), so it is recorded as
    // evidence only; two or more differing fields make the tag.
    match doc.viz_mismatches.len() {
        0 => {}
        1 => b.rules.push(Rule {
            rule: "mrz-vs-visual-zone",
            produced: "NONE".into(),
            detail: format!(
                "visual zone disagrees with the MRZ on one field ({}); within OCR error, not tagged",
                doc.viz_mismatches[0]
            ),
        }),
        _ => b.mismatch(
            MismatchTag::DocInfoMismatch,
            "mrz-vs-visual-zone",
            format!(
                "visual zone disagrees with the MRZ on: {}",
                doc.viz_mismatches.join(", ")
            ),
        ),
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
    if let Some(aml) = &f.aml {
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

/// Derives statuses, tags and `overall` from the check facts.
pub fn evaluate(input: &DecisionInput<'_>) -> Decision {
    let mut b = Builder {
        rules: Vec::new(),
        fraud: Vec::new(),
        mismatch: Vec::new(),
    };
    let document = document_status(input, &mut b);
    let face = face_status(input, &document, &mut b);
    prefill_mismatches(input, &mut b);
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
