//! Output types: decoded fields, check-digit results, issues.

use crate::date::Date;
use crate::icao::{self, CodeInfo};
use crate::layout::{CheckedField, Field, MrzFormat};
use crate::short::Short;

/// Sex as printed in the MRZ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Sex {
    /// `M`.
    Male,
    /// `F`.
    Female,
    /// `X` (unspecified).
    Unspecified,
    /// `<` (not given), also used when the layout has no sex field.
    #[default]
    NotGiven,
}

impl Sex {
    /// Decodes the MRZ character; `None` for anything but `M`, `F`, `X`, `<`.
    pub fn from_mrz(c: u8) -> Option<Sex> {
        match c {
            b'M' => Some(Sex::Male),
            b'F' => Some(Sex::Female),
            b'X' => Some(Sex::Unspecified),
            b'<' => Some(Sex::NotGiven),
            _ => None,
        }
    }

    /// The MRZ character.
    pub fn to_mrz(self) -> char {
        match self {
            Sex::Male => 'M',
            Sex::Female => 'F',
            Sex::Unspecified => 'X',
            Sex::NotGiven => '<',
        }
    }
}

/// The data fields of an MRZ, as printed (fillers removed from names and padded fields).
///
/// This is both the parser's output and the renderer's input:
/// `parse(&render(&f)?)?.fields == f` for every renderable `f`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct MrzFields {
    /// Layout.
    pub format: MrzFormat,
    /// Document code without trailing filler (`P`, `PA`, `ID`, `I`, `V`, `C1`, `D1`...).
    pub document_code: Short,
    /// Issuing state / organisation, 3 characters exactly as printed (`UTO`, `D<<`).
    pub issuing_state: Short,
    /// Primary identifier; `<` separators become spaces.
    pub surname: String,
    /// Secondary identifier; `<` separators become spaces.
    pub given_names: String,
    /// Document number without trailing fillers (TD1/TD2 long numbers include the overflow).
    pub document_number: String,
    /// Nationality, 3 characters as printed (empty when the layout has none).
    pub nationality: Short,
    /// Date of birth `YYMMDD` as printed (empty when the layout has none).
    pub birth_date: Short,
    /// Sex.
    pub sex: Sex,
    /// Date of expiry `YYMMDD` as printed (empty when the layout has none).
    pub expiry_date: Short,
    /// Optional data / personal number without trailing fillers (French ID: office code).
    pub optional_data: String,
    /// TD1 line-2 optional data without trailing fillers.
    pub optional_data_2: String,
}

impl MrzFields {
    /// Empty fields for `format`.
    pub fn empty(format: MrzFormat) -> MrzFields {
        MrzFields {
            format,
            document_code: Short::default(),
            issuing_state: Short::default(),
            surname: String::new(),
            given_names: String::new(),
            document_number: String::new(),
            nationality: Short::default(),
            birth_date: Short::default(),
            sex: Sex::NotGiven,
            expiry_date: Short::default(),
            optional_data: String::new(),
            optional_data_2: String::new(),
        }
    }
}

/// Result of one check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CheckDigit {
    /// Character printed in the check-digit position.
    pub printed: char,
    /// Check digit computed from the data.
    pub computed: u8,
    /// Whether they agree.
    pub valid: bool,
}

/// Per-field check-digit results; `None` when the layout has no such check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct CheckDigits {
    /// Document number.
    pub document_number: Option<CheckDigit>,
    /// Date of birth.
    pub birth_date: Option<CheckDigit>,
    /// Date of expiry.
    pub expiry_date: Option<CheckDigit>,
    /// Optional data / personal number (TD3).
    pub optional_data: Option<CheckDigit>,
    /// Composite (driving licence: whole line).
    pub composite: Option<CheckDigit>,
}

impl CheckDigits {
    /// The result for one checked field.
    pub fn get(&self, which: CheckedField) -> Option<CheckDigit> {
        match which {
            CheckedField::DocumentNumber => self.document_number,
            CheckedField::BirthDate => self.birth_date,
            CheckedField::ExpiryDate => self.expiry_date,
            CheckedField::OptionalData => self.optional_data,
            CheckedField::Composite => self.composite,
        }
    }

    pub(crate) fn set(&mut self, which: CheckedField, v: CheckDigit) {
        let slot = match which {
            CheckedField::DocumentNumber => &mut self.document_number,
            CheckedField::BirthDate => &mut self.birth_date,
            CheckedField::ExpiryDate => &mut self.expiry_date,
            CheckedField::OptionalData => &mut self.optional_data,
            CheckedField::Composite => &mut self.composite,
        };
        *slot = Some(v);
    }

    /// True when every present check digit validates.
    pub fn all_valid(&self) -> bool {
        [
            self.document_number,
            self.birth_date,
            self.expiry_date,
            self.optional_data,
            self.composite,
        ]
        .iter()
        .flatten()
        .all(|c| c.valid)
    }

    /// The checked fields whose digit fails.
    pub fn failing(&self) -> Vec<CheckedField> {
        use CheckedField as C;
        [
            C::DocumentNumber,
            C::BirthDate,
            C::ExpiryDate,
            C::OptionalData,
            C::Composite,
        ]
        .into_iter()
        .filter(|&w| self.get(w).is_some_and(|c| !c.valid))
        .collect()
    }
}

/// A structural problem that makes the MRZ invalid (besides check digits).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Issue {
    /// A character not allowed in this field (e.g. a letter in a date, a digit in a name).
    BadCharacter {
        /// Field.
        field: Field,
        /// Line (0-based).
        line: usize,
        /// Column (0-based).
        column: usize,
        /// The character.
        found: char,
    },
    /// Letters after the end of the name (after `<<<`).
    TextAfterNameEnd {
        /// Line (0-based).
        line: usize,
        /// Column of the first such letter.
        column: usize,
    },
}

/// Something noteworthy that does not make the MRZ invalid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Warning {
    /// A non-MRZ letter (e.g. `Ñ`) was read and folded to its base letter.
    Transliterated {
        /// Line (0-based).
        line: usize,
        /// Column (0-based).
        column: usize,
        /// Original character.
        from: char,
        /// Replacement.
        to: char,
    },
    /// A date field holds digits that are not a calendar date (e.g. `110229`).
    ImpossibleDate(Field),
    /// The issuing-state or nationality code is not a known ICAO code.
    UnknownCode(Field),
}

/// A parsed and validated MRZ.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Mrz {
    /// The decoded fields.
    pub fields: MrzFields,
    /// The MRZ lines that were decoded (after transliteration).
    pub lines: Vec<String>,
    /// Check-digit results.
    pub checks: CheckDigits,
    /// Date of birth with century inferred (birth not after the reference date).
    pub birth_date: Option<Date>,
    /// Date of expiry with century inferred (at most 20 years after the reference date).
    pub expiry_date: Option<Date>,
    /// Structural problems (non-empty → invalid).
    pub issues: Vec<Issue>,
    /// Non-fatal observations.
    pub warnings: Vec<Warning>,
}

impl Mrz {
    /// Layout.
    pub fn format(&self) -> MrzFormat {
        self.fields.format
    }

    /// True when every check digit validates and no structural issue was found.
    pub fn is_valid(&self) -> bool {
        self.issues.is_empty() && self.checks.all_valid()
    }

    /// Classified issuing state.
    pub fn issuing_country(&self) -> CodeInfo {
        icao::resolve_code(&self.fields.issuing_state)
    }

    /// Classified nationality (`None` when the layout has no nationality field).
    pub fn nationality(&self) -> Option<CodeInfo> {
        (!self.fields.nationality.is_empty()).then(|| icao::resolve_code(&self.fields.nationality))
    }
}
