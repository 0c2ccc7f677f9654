//! Mapping onto the webhook `data` fields (`docFirstName`, `docLastName`, ...).

use crate::layout::MrzFormat;
use crate::model::{Mrz, Sex};

/// `docSex` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
pub enum DocSex {
    /// `MALE`.
    Male,
    /// `FEMALE`.
    Female,
    /// `UNDEFINED`.
    Undefined,
}

impl DocSex {
    /// Wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            DocSex::Male => "MALE",
            DocSex::Female => "FEMALE",
            DocSex::Undefined => "UNDEFINED",
        }
    }
}

impl From<Sex> for DocSex {
    fn from(s: Sex) -> DocSex {
        match s {
            Sex::Male => DocSex::Male,
            Sex::Female => DocSex::Female,
            Sex::Unspecified | Sex::NotGiven => DocSex::Undefined,
        }
    }
}

/// `docType` values an MRZ can tell apart (a subset of the webhook enum).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
pub enum DocType {
    /// `PASSPORT` (document code `P…`).
    Passport,
    /// `ID_CARD` (`I…`, `A…`, `C…` travel cards, French ID).
    IdCard,
    /// `RESIDENCE_PERMIT` (`IR`, `AR`, `CR`, `RP`, US `C1`/`C2`).
    ResidencePermit,
    /// `VISA` (`V…`).
    Visa,
    /// `DRIVER_LICENSE` (driving-licence MRZ).
    DriverLicense,
    /// `WORK_PERMIT` (US employment authorisation card `IA`).
    WorkPermit,
    /// `OTHER`.
    Other,
}

impl DocType {
    /// Wire string.
    pub fn as_str(self) -> &'static str {
        match self {
            DocType::Passport => "PASSPORT",
            DocType::IdCard => "ID_CARD",
            DocType::ResidencePermit => "RESIDENCE_PERMIT",
            DocType::Visa => "VISA",
            DocType::DriverLicense => "DRIVER_LICENSE",
            DocType::WorkPermit => "WORK_PERMIT",
            DocType::Other => "OTHER",
        }
    }

    /// Classifies a document from its layout, document code and issuing state.
    pub fn classify(format: MrzFormat, code: &str, issuing_state: &str) -> DocType {
        if format == MrzFormat::DrivingLicence {
            return DocType::DriverLicense;
        }
        if format == MrzFormat::FrenchId {
            return DocType::IdCard;
        }
        let b = code.as_bytes();
        let second = b.get(1).copied().unwrap_or(b'<');
        let usa = issuing_state == "USA";
        match b.first() {
            Some(b'P') => DocType::Passport,
            Some(b'V') => DocType::Visa,
            Some(b'R') if second == b'P' => DocType::ResidencePermit,
            Some(b'I' | b'A' | b'C') if second == b'R' => DocType::ResidencePermit,
            Some(b'C') if usa && (second == b'1' || second == b'2') => DocType::ResidencePermit,
            Some(b'I') if usa && second == b'A' => DocType::WorkPermit,
            Some(b'I' | b'A' | b'C') => DocType::IdCard,
            Some(b'D') => DocType::DriverLicense,
            _ => DocType::Other,
        }
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
    /// `docType`.
    pub doc_type: DocType,
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
            doc_type: DocType::classify(f.format, &f.document_code, &f.issuing_state),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::date::Date;
    use crate::parse::{ParseOptions, parse_with_options};

    #[test]
    fn td3_mapping() {
        let opts = ParseOptions::with_reference_date(Date::new(2026, 1, 1).unwrap());
        let m = parse_with_options(
            &[
                "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
                "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
            ],
            &opts,
        )
        .unwrap();
        let d = m.document_data();
        assert_eq!(d.doc_first_name.as_deref(), Some("ANNA MARIA"));
        assert_eq!(d.doc_last_name.as_deref(), Some("ERIKSSON"));
        assert_eq!(d.doc_number.as_deref(), Some("L898902C3"));
        assert_eq!(d.doc_personal_code.as_deref(), Some("ZE184226B"));
        assert_eq!(d.doc_dob.as_deref(), Some("1974-08-12"));
        assert_eq!(d.doc_expiry.as_deref(), Some("2012-04-15"));
        assert_eq!(d.doc_sex, DocSex::Female);
        assert_eq!(d.doc_nationality, None); // UTO is fictitious
        assert_eq!(d.doc_type, DocType::Passport);
    }

    #[cfg(feature = "serde")]
    #[test]
    fn serde_uses_webhook_names() {
        let opts = ParseOptions::with_reference_date(Date::new(2026, 1, 1).unwrap());
        let m = parse_with_options(
            &[
                "I<UTOD231458907<<<<<<<<<<<<<<<",
                "7408122F1204159UTO<<<<<<<<<<<6",
                "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
            ],
            &opts,
        )
        .unwrap();
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
        assert_eq!(DocType::classify(Td1, "ID", "D<<"), DocType::IdCard);
        assert_eq!(
            DocType::classify(Td1, "IR", "GBR"),
            DocType::ResidencePermit
        );
        assert_eq!(
            DocType::classify(Td1, "C1", "USA"),
            DocType::ResidencePermit
        );
        assert_eq!(DocType::classify(Td1, "IA", "USA"), DocType::WorkPermit);
        assert_eq!(DocType::classify(MrvB, "VC", "POL"), DocType::Visa);
        assert_eq!(
            DocType::classify(DrivingLicence, "D1", "FRA"),
            DocType::DriverLicense
        );
        assert_eq!(DocType::classify(Td3, "X", "FRA"), DocType::Other);
        assert_eq!(DocSex::from(Sex::NotGiven).as_str(), "UNDEFINED");
    }
}
