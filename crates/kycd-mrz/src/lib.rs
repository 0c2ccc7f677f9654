//! kycd-mrz: ICAO 9303 machine-readable zone parsing, validation, rendering and OCR repair.
//!
//! Pure Rust, no I/O. Its one workspace dependency is `kycd-types`, the iDenfy vocabulary (`docSex`, `docType`, name
//! folding); the optional `serde` feature derives `Serialize` / `Deserialize` on the output types.
//!
//! # Layouts
//! TD1 (3×30), TD2 (2×36), TD3 (2×44), MRV-A (2×44), MRV-B (2×36), the pre-2021 French identity
//! card (2×36 `IDFRA…`) and the one-line 30-character EU/French driving-licence MRZ. The layout is
//! detected from the line count/length and the document code ([`MrzFormat`]).
//!
//! # Entry points
//! * [`parse()`] / [`parse_with_options`] / [`parse_as`] / [`parse_text`]: strict parsing of clean
//!   MRZ lines. Every check digit is verified and reported per field ([`CheckDigits`]); structural
//!   problems are listed in [`Mrz::issues`]; [`Mrz::is_valid`] combines both. A failing check digit
//!   never makes parsing fail: the printed text is returned with the failing flags.
//! * [`parse_with_repair`]: for OCR output. Normalises spaces / case / accented letters, fixes line
//!   lengths off by 1–2 characters, letter↔digit confusions by field type, `K`/`<` filler
//!   confusions in names and codes, and confusions inside alphanumeric fields where exactly one
//!   correction satisfies the check digits. A valid MRZ is never changed into a different valid
//!   one; when several repairs validate, none is chosen ([`RepairStatus::Ambiguous`]).
//! * [`find_in_text`] / [`find_all_in_text`]: locate MRZ lines inside noisy multi-line OCR text
//!   (mixed with visual-zone lines, split or merged lines) and repair them.
//! * [`render()`]: the inverse of parsing, for synthetic documents: `parse(render(f)).fields == f`.
//! * [`Mrz::document_data`]: the webhook `data` fields (`docFirstName`, `docLastName`,
//!   `docNumber`, `docPersonalCode`, `docDob`, `docExpiry`, `docSex`, `docNationality`,
//!   `docIssuingCountry`, `docType`), typed with `kycd_types::DocSex` / `kycd_types::DocumentType`;
//!   [`document_type`] classifies a document code.
//! * [`icao::resolve_code`]: ICAO 3-letter codes (incl. `D`, `GBD`, `UNO`, `XXA`, `EUE`, `RKS`...)
//!   → ISO 3166-1 alpha-2 ([`country`] holds the ISO table).
//!
//! # Layout notes
//! * Long TD1/TD2 document numbers (more than 9 characters) are decoded from the optional data
//!   (filler in the check-digit position, rest of the number and its check digit in the optional
//!   field) and rendered the same way.
//! * French ID (1988-2021): surname (25), issuing-office code (6, returned as `optional_data`),
//!   12-character number + check digit, given names (14, separated by `<<`), birth date + check
//!   digit, sex, composite check over line 1 and line 2 positions 1-35. There is no expiry date or
//!   nationality in that MRZ.
//! * Driving licence (1×30): `D` + one digit, issuing state, 9-character licence number, a check
//!   digit over the first 14 characters, expiry `YYMMDD`, the first 8 characters of the surname,
//!   and a check digit over the first 29 characters. This layout was inferred from the French
//!   specimen (`D1FRA13AA000026181231MARTIN<<9`, both check digits validate); other states may
//!   differ.
//! * Dates keep the printed `YYMMDD` in [`MrzFields`]; [`Mrz::birth_date`] / [`Mrz::expiry_date`]
//!   hold the calendar date with the century inferred against [`ParseOptions::reference_date`]
//!   (default: today, UTC): birth on or before the reference date, expiry at most 20 years after
//!   it. Impossible dates (e.g. 29 February 2011 on a Czech specimen) give `None` and a warning.
//!
//! # Repair guarantees and limits
//! * A valid input is returned unchanged ([`RepairStatus::Valid`]), and a line that is already
//!   valid is never rewritten.
//! * Within the error model (up to two OCR confusions from `O/0`, `Q/0`, `I/1`, `B/8`, `S/5`,
//!   `Z/2`, `G/6` by field type, filler look-alikes after names, case, spaces, filler runs one or
//!   two characters too long/short) a trusted result is never a wrong one: when more than one
//!   candidate validates the status is [`RepairStatus::Ambiguous`]. This is what the property tests
//!   check.
//! * Names carry no check digit: digits in names are read as the look-alike letter (`0` → `O`),
//!   and a line of wrong length is aligned at its end first. `G`↔`6` and `K`↔`<` differ by a
//!   multiple of 10 in the check-digit arithmetic, so inside document numbers and optional data
//!   they cannot be detected and are left as read. MRV optional data has no check digit at all.
//!
//! ```
//! use kycd_mrz::{parse_with_options, parse_with_repair, Date, ParseOptions, RepairStatus};
//! let opts = ParseOptions::with_reference_date(Date::new(2026, 1, 1).unwrap());
//! let lines = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"];
//! let mrz = parse_with_options(&lines, &opts).unwrap();
//! assert!(mrz.is_valid());
//! assert_eq!(mrz.fields.given_names, "ANNA MARIA");
//! assert_eq!(mrz.birth_date.unwrap().to_iso(), "1974-08-12");
//!
//! // OCR output: lower case, a space, O for 0 in the date of birth, a missing filler.
//! let ocr = ["i<UTOD231458907<<<<<<<<<<<<<<", "74O8122F1204159UTO <<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"];
//! let fixed = parse_with_repair(&ocr, &opts).unwrap();
//! assert_eq!(fixed.status, RepairStatus::Repaired);
//! assert_eq!(fixed.mrz.lines, mrz.lines);
//! ```

pub mod check;
pub mod country;
pub mod date;
pub mod error;
mod find;
pub mod icao;
pub mod layout;
pub mod model;
mod names;
pub mod parse;
pub mod render;
pub mod repair;
mod short;
pub mod specimen;
pub mod webhook;

#[cfg(test)]
mod proptests;
#[cfg(test)]
mod testgen;

pub use check::check_digit;
pub use date::{Date, DateKind, resolve_date};
pub use error::{MrzError, RenderError};
pub use find::{FoundMrz, find_all_in_text, find_in_text};
pub use layout::{CheckedField, Field, MrzFormat};
pub use model::{CheckDigit, CheckDigits, Issue, Mrz, MrzFields, Sex, Warning};
pub use names::fold_letter;
pub use parse::{ParseOptions, parse, parse_as, parse_text, parse_with_options};
pub use render::render;
pub use repair::{Correction, CorrectionKind, RepairStatus, Repaired, parse_with_repair};
pub use short::Short;
pub use webhook::{DocumentData, document_type};
