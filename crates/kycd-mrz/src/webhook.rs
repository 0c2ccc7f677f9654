//! Mapping onto the webhook `data` fields (`docFirstName`, `docLastName`, ...), in the iDenfy vocabulary of
//! `kycd-types` ([`DocSex`], [`DocumentType`]).

use kycd_types::{DocSex, DocumentType};

use crate::layout::MrzFormat;
use crate::model::{Mrz, Sex};

impl From<Sex> for DocSex {
    fn from(s: Sex) -> DocSex {
        match s {
            Sex::Male => DocSex::Male,
            Sex::Female => DocSex::Female,
            Sex::Unspecified | Sex::NotGiven => DocSex::Undefined,
        }
    }
}

/// Classifies a document from its MRZ layout, document code and issuing state.
///
/// An MRZ tells apart `PASSPORT` (document code `P…`), `ID_CARD` (`I…`, `A…`, `C…` travel cards, French ID),
/// `RESIDENCE_PERMIT` (`IR`, `AR`, `CR`, `RP`, US `C1`/`C2`), `VISA` (`V…`), `DRIVER_LICENSE` (driving-licence
/// MRZ, `D…`), `WORK_PERMIT` (US employment authorisation card `IA`) and `OTHER`.
pub fn document_type(format: MrzFormat, code: &str, issuing_state: &str) -> DocumentType {
    if format == MrzFormat::DrivingLicence {
        return DocumentType::DriverLicense;
    }
    if format == MrzFormat::FrenchId {
        return DocumentType::IdCard;
    }
    let b = code.as_bytes();
    let second = b.get(1).copied().unwrap_or(b'<');
    let usa = issuing_state == "USA";
    match b.first() {
        Some(b'P') => DocumentType::Passport,
        Some(b'V') => DocumentType::Visa,
        Some(b'R') if second == b'P' => DocumentType::ResidencePermit,
        Some(b'I' | b'A' | b'C') if second == b'R' => DocumentType::ResidencePermit,
        Some(b'C') if usa && (second == b'1' || second == b'2') => DocumentType::ResidencePermit,
        Some(b'I') if usa && second == b'A' => DocumentType::WorkPermit,
        Some(b'I' | b'A' | b'C') => DocumentType::IdCard,
        Some(b'D') => DocumentType::DriverLicense,
        _ => DocumentType::Other,
    }
}

/// The document fields of the webhook `data` object, as far as the MRZ provides them.
/// Empty values are `None` (emitted as `null`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "camelCase"))]
pub struct DocumentData {
    /// `docFirstName`.
    pub doc_first_name: Option<String>,
    /// `docLastName`.
    pub doc_last_name: Option<String>,
    /// `docNumber`.
    pub doc_number: Option<String>,
    /// `docPersonalCode` (TD3 personal number, TD1 optional data; fillers trimmed).
    pub doc_personal_code: Option<String>,
    /// `docDob` (`YYYY-MM-DD`).
    pub doc_dob: Option<String>,
    /// `docExpiry` (`YYYY-MM-DD`).
    pub doc_expiry: Option<String>,
    /// `docSex`.
    pub doc_sex: DocSex,
    /// `docNationality` (ISO alpha-2; `None` for codes without one, e.g. `XXA`).
    pub doc_nationality: Option<String>,
    /// `docIssuingCountry` (ISO alpha-2).
    pub doc_issuing_country: Option<String>,
    /// `docType` (see [`document_type`]).
    pub doc_type: DocumentType,
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim_matches(|c| c == '<' || c == ' ');
    (!t.is_empty()).then(|| t.to_string())
}

impl Mrz {
    /// Maps the MRZ onto the webhook `data` document fields.
    pub fn document_data(&self) -> DocumentData {
        let f = &self.fields;
        let personal = match f.format {
            // The French-ID optional field is the issuing office, not a personal code.
            MrzFormat::FrenchId | MrzFormat::MrvA | MrzFormat::MrvB => None,
            _ => non_empty(&f.optional_data).or_else(|| non_empty(&f.optional_data_2)),
        };
        DocumentData {
            doc_first_name: non_empty(&f.given_names),
            doc_last_name: non_empty(&f.surname),
            doc_number: non_empty(&f.document_number),
            doc_personal_code: personal,
            doc_dob: self.birth_date.map(|d| d.to_iso()),
            doc_expiry: self.expiry_date.map(|d| d.to_iso()),
            doc_sex: f.sex.into(),
            doc_nationality: self
                .nationality()
                .and_then(|c| c.alpha2)
                .map(str::to_string),
            doc_issuing_country: self.issuing_country().alpha2.map(str::to_string),
            doc_type: document_type(f.format, &f.document_code, &f.issuing_state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::parse::{ParseOptions, parse_with_options};
    use crate::specimen;

    #[test]
    fn td3_mapping() {
        let opts = ParseOptions::with_reference_date(Date::new(2026, 1, 1).unwrap());
        let m = parse_with_options(&specimen::TD3, &opts).unwrap();
        let d = m.document_data();
        assert_eq!(d.doc_first_name.as_deref(), Some("ANNA MARIA"));
        assert_eq!(d.doc_last_name.as_deref(), Some("ERIKSSON"));
        assert_eq!(d.doc_number.as_deref(), Some("L898902C3"));
        assert_eq!(d.doc_personal_code.as_deref(), Some("ZE184226B"));
        assert_eq!(d.doc_dob.as_deref(), Some("1974-08-12"));
        assert_eq!(d.doc_expiry.as_deref(), Some("2012-04-15"));
        assert_eq!(d.doc_sex, DocSex::Female);
        assert_eq!(d.doc_nationality, None); // UTO is fictitious
        assert_eq!(d.doc_type, DocumentType::Passport);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_webhook_names() {
        let opts = ParseOptions::with_reference_date(Date::new(2026, 1, 1).unwrap());
        let m = parse_with_options(&specimen::TD1, &opts).unwrap();
        let v = serde_json::to_value(m.document_data()).unwrap();
        assert_eq!(v["docFirstName"], "ANNA MARIA");
        assert_eq!(v["docLastName"], "ERIKSSON");
        assert_eq!(v["docDob"], "1974-08-12");
        assert_eq!(v["docSex"], "FEMALE");
        assert_eq!(v["docType"], "ID_CARD");
        assert!(v["docNationality"].is_null());
        let back: crate::model::Mrz =
            serde_json::from_value(serde_json::to_value(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }

    #[test]
    fn classification() {
        use MrzFormat::*;
        assert_eq!(document_type(Td1, "ID", "D<<"), DocumentType::IdCard);
        assert_eq!(
            document_type(Td1, "IR", "GBR"),
            DocumentType::ResidencePermit
        );
        assert_eq!(
            document_type(Td1, "C1", "USA"),
            DocumentType::ResidencePermit
        );
        assert_eq!(document_type(Td1, "IA", "USA"), DocumentType::WorkPermit);
        assert_eq!(document_type(MrvB, "VC", "POL"), DocumentType::Visa);
        assert_eq!(
            document_type(DrivingLicence, "D1", "FRA"),
            DocumentType::DriverLicense
        );
        assert_eq!(document_type(Td3, "X", "FRA"), DocumentType::Other);
        assert_eq!(DocSex::from(Sex::NotGiven).as_str(), "UNDEFINED");
    }
}
