//! The document and face statuses (`autoDocument`, `autoFace`) from the document and face findings and the token's
//! restrictions: the first rule that fails sets the status.

use super::{Builder, DecisionInput};
use crate::fraud::consistency::parse_date;
use kycd_types::{DocumentStatus, DocumentType, FaceStatus, TokenType};

/// Whether two document types are the same family for the type check (e.g. an ID card declared, an ID card read).
fn same_type(declared: DocumentType, read: DocumentType) -> bool {
    declared == read
}

pub(super) fn status(input: &DecisionInput<'_>, b: &mut Builder) -> DocumentStatus {
    let Some(doc) = input.document else {
        b.status(
            "DOC_NOT_ANALYSED",
            "no-document-engine",
            "no document engine is installed".into(),
        );
        return DocumentStatus::DocNotAnalysed;
    };
    // The quality gates protect reading, they do not replace it: glare or blur on a document whose MRZ validates,
    // whose visual zone agrees with it and whose portrait was found stopped nothing from being read.
    if let Some(q) = &doc.quality_issue {
        let read_in_full = doc.mrz_valid && doc.viz_mismatches.is_empty() && doc.portrait.is_some();
        if !read_in_full {
            b.status(
                q.as_str(),
                "quality-gate",
                format!("quality gate: {}", q.as_str()),
            );
            return q.clone();
        }
        b.rules.push(super::Rule {
            rule: "quality-gate",
            produced: "NONE".into(),
            detail: format!(
                "{} waived: the MRZ validates, the visual zone agrees and the portrait was found",
                q.as_str()
            ),
        });
    }
    if let Some(f) = &doc.failure {
        // An MRZ that fails its checks elsewhere (misread, or partly hidden by glare) still proves an expiry whose
        // own check digit holds: an expired document is reported as expired, not as unreadable.
        if matches!(
            f,
            DocumentStatus::MrzInvalid
                | DocumentStatus::MrzOcrReadingError
                | DocumentStatus::DocGlared
        ) && doc.expiry_checked
            && let Some(exp) = doc.data.expiry.as_deref()
            && parse_date(exp).is_some()
            && exp < input.today
        {
            b.status(
                "DOC_EXPIRED",
                "expiry",
                format!(
                    "document expired on {exp} (its check digit holds; {})",
                    doc.failure_detail
                ),
            );
            return DocumentStatus::DocExpired;
        }
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
    if let Some(why) = crate::fraud::tampering::specimen(doc) {
        b.status(
            "DOC_FAKE",
            "specimen",
            format!("published specimen document ({why})"),
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

pub(super) fn face_status(
    input: &DecisionInput<'_>,
    doc: &DocumentStatus,
    b: &mut Builder,
) -> FaceStatus {
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
