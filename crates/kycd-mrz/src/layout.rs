//! MRZ formats and their field / check-digit layouts (0-based positions).

use std::fmt;

/// Supported MRZ layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum MrzFormat {
    /// ICAO 9303 TD1 (ID-1 cards): 3 lines × 30.
    Td1,
    /// ICAO 9303 TD2: 2 lines × 36.
    Td2,
    /// ICAO 9303 TD3 (passport books): 2 lines × 44.
    Td3,
    /// ICAO 9303 MRV-A visa: 2 lines × 44.
    MrvA,
    /// ICAO 9303 MRV-B visa: 2 lines × 36.
    MrvB,
    /// French national identity card issued 1988-2021 (2 × 36, `IDFRA`, not ICAO).
    FrenchId,
    /// EU / French driving licence one-line MRZ (1 × 30, starts with `D`).
    DrivingLicence,
}

impl MrzFormat {
    /// All formats.
    pub const ALL: [MrzFormat; 7] = [
        MrzFormat::Td1,
        MrzFormat::Td2,
        MrzFormat::Td3,
        MrzFormat::MrvA,
        MrzFormat::MrvB,
        MrzFormat::FrenchId,
        MrzFormat::DrivingLicence,
    ];

    /// Number of lines.
    pub const fn line_count(self) -> usize {
        match self {
            MrzFormat::Td1 => 3,
            MrzFormat::DrivingLicence => 1,
            _ => 2,
        }
    }

    /// Characters per line.
    pub const fn line_len(self) -> usize {
        match self {
            MrzFormat::Td1 | MrzFormat::DrivingLicence => 30,
            MrzFormat::Td2 | MrzFormat::MrvB | MrzFormat::FrenchId => 36,
            MrzFormat::Td3 | MrzFormat::MrvA => 44,
        }
    }

    /// Short name (`TD1`, `TD2`, `TD3`, `MRV-A`, `MRV-B`, `FRA-ID`, `DL`).
    pub const fn name(self) -> &'static str {
        match self {
            MrzFormat::Td1 => "TD1",
            MrzFormat::Td2 => "TD2",
            MrzFormat::Td3 => "TD3",
            MrzFormat::MrvA => "MRV-A",
            MrzFormat::MrvB => "MRV-B",
            MrzFormat::FrenchId => "FRA-ID",
            MrzFormat::DrivingLicence => "DL",
        }
    }

    pub(crate) fn layout(self) -> &'static Layout {
        match self {
            MrzFormat::Td1 => &TD1,
            MrzFormat::Td2 => &TD2,
            MrzFormat::Td3 => &TD3,
            MrzFormat::MrvA => &MRVA,
            MrzFormat::MrvB => &MRVB,
            MrzFormat::FrenchId => &FRA_ID,
            MrzFormat::DrivingLicence => &DL,
        }
    }
}

impl fmt::Display for MrzFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A data field of an MRZ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Field {
    /// Document code (`P<`, `ID`, `V<`, `C1`...).
    DocumentCode,
    /// Issuing state or organisation.
    IssuingState,
    /// ICAO name field (`PRIMARY<<SECONDARY`).
    Name,
    /// Surname only (French ID, driving licence).
    Surname,
    /// Given names only (French ID).
    GivenNames,
    /// Document number.
    DocumentNumber,
    /// Nationality.
    Nationality,
    /// Date of birth.
    BirthDate,
    /// Sex.
    Sex,
    /// Date of expiry.
    ExpiryDate,
    /// Optional data (TD3 personal number, TD1 line-1 optional data, French-ID office code).
    OptionalData,
    /// Second optional data field (TD1 line 2).
    OptionalData2,
    /// A check digit position.
    CheckDigit,
}

/// Fields protected by a check digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CheckedField {
    /// Document number check digit.
    DocumentNumber,
    /// Date-of-birth check digit.
    BirthDate,
    /// Expiry-date check digit.
    ExpiryDate,
    /// Optional-data (personal number) check digit, TD3 only.
    OptionalData,
    /// Composite (or whole-line) check digit.
    Composite,
}

/// A run of characters: `line`, `start`, `len`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub line: u8,
    pub start: u8,
    pub len: u8,
}

impl Span {
    pub const fn end(&self) -> usize {
        self.start as usize + self.len as usize
    }
    pub fn slice<'a>(&self, lines: &[&'a [u8]]) -> &'a [u8] {
        &lines[self.line as usize][self.start as usize..self.end()]
    }
}

const fn s(line: u8, start: u8, len: u8) -> Span {
    Span { line, start, len }
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldSpec {
    pub field: Field,
    pub span: Span,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct CheckSpec {
    pub which: CheckedField,
    pub parts: &'static [Span],
    pub digit: Span,
    pub filler_ok: bool,
}

#[derive(Debug)]
pub(crate) struct Layout {
    pub fields: &'static [FieldSpec],
    pub checks: &'static [CheckSpec],
}

impl Layout {
    pub fn span(&self, field: Field) -> Option<Span> {
        self.fields
            .iter()
            .find(|f| f.field == field)
            .map(|f| f.span)
    }
}

const fn f(field: Field, span: Span) -> FieldSpec {
    FieldSpec { field, span }
}

const fn c(which: CheckedField, parts: &'static [Span], digit: Span, filler_ok: bool) -> CheckSpec {
    CheckSpec {
        which,
        parts,
        digit,
        filler_ok,
    }
}

use CheckedField as C;
use Field as F;

/// A composite (whole-line) check digit: never a filler.
const fn composite(parts: &'static [Span], digit: Span) -> CheckSpec {
    c(C::Composite, parts, digit, false)
}

// The layouts below list their fields grouped by MRZ line, line 0 first.

/// Fields of the two-line layouts (TD3, TD2, MRV-A, MRV-B): the same positions, a name as long as line 1
/// allows and optional data up to the `trailing_digits` check digits that end line 2.
#[rustfmt::skip]
const fn two_line_fields(line_len: u8, trailing_digits: u8) -> [FieldSpec; 9] {
    [
        f(F::DocumentCode, s(0, 0, 2)), f(F::IssuingState, s(0, 2, 3)), f(F::Name, s(0, 5, line_len - 5)),
        f(F::DocumentNumber, s(1, 0, 9)), f(F::Nationality, s(1, 10, 3)), f(F::BirthDate, s(1, 13, 6)),
        f(F::Sex, s(1, 20, 1)), f(F::ExpiryDate, s(1, 21, 6)),
        f(F::OptionalData, s(1, 28, line_len - 28 - trailing_digits)),
    ]
}

// The document-number, birth-date and expiry-date check digits of the two-line layouts.
const NUMBER_CHECK: CheckSpec = c(C::DocumentNumber, &[s(1, 0, 9)], s(1, 9, 1), false);
const BIRTH_CHECK: CheckSpec = c(C::BirthDate, &[s(1, 13, 6)], s(1, 19, 1), false);
const EXPIRY_CHECK: CheckSpec = c(C::ExpiryDate, &[s(1, 21, 6)], s(1, 27, 1), false);

/// The composite check digit that ends line 2 of a TD2 or TD3 of `LEN` characters per line.
const fn line_2_composite<const LEN: u8>() -> CheckSpec {
    composite(
        &const { [s(1, 0, 10), s(1, 13, 7), s(1, 21, LEN - 22)] },
        s(1, LEN - 1, 1),
    )
}

/// The optional-data (personal number) check digit of a TD3 of `LEN` characters per line.
const fn line_2_optional<const LEN: u8>() -> CheckSpec {
    c(
        C::OptionalData,
        &const { [s(1, 28, LEN - 30)] },
        s(1, LEN - 2, 1),
        true,
    )
}

/// A two-line layout of `LEN` characters per line ending in `TRAILING` check digits after the optional data:
/// none for the visas (MRV-A, MRV-B), the composite for TD2, the optional data's and the composite for TD3.
#[rustfmt::skip]
const fn two_line<const LEN: u8, const TRAILING: u8>() -> Layout {
    Layout {
        fields: &const { two_line_fields(LEN, TRAILING) },
        checks: match TRAILING {
            0 => &[NUMBER_CHECK, BIRTH_CHECK, EXPIRY_CHECK],
            1 => &const { [NUMBER_CHECK, BIRTH_CHECK, EXPIRY_CHECK, line_2_composite::<LEN>()] },
            _ => &const {
                [NUMBER_CHECK, BIRTH_CHECK, EXPIRY_CHECK, line_2_optional::<LEN>(), line_2_composite::<LEN>()]
            },
        },
    }
}

static TD3: Layout = two_line::<44, 2>();
static MRVA: Layout = two_line::<44, 0>();
static TD2: Layout = two_line::<36, 1>();
static MRVB: Layout = two_line::<36, 0>();

#[rustfmt::skip]
static TD1: Layout = Layout {
    fields: &[
        f(F::DocumentCode, s(0, 0, 2)), f(F::IssuingState, s(0, 2, 3)), f(F::DocumentNumber, s(0, 5, 9)),
        f(F::OptionalData, s(0, 15, 15)),
        f(F::BirthDate, s(1, 0, 6)), f(F::Sex, s(1, 7, 1)), f(F::ExpiryDate, s(1, 8, 6)),
        f(F::Nationality, s(1, 15, 3)), f(F::OptionalData2, s(1, 18, 11)),
        f(F::Name, s(2, 0, 30)),
    ],
    checks: &[
        c(C::DocumentNumber, &[s(0, 5, 9)], s(0, 14, 1), false),
        c(C::BirthDate, &[s(1, 0, 6)], s(1, 6, 1), false),
        c(C::ExpiryDate, &[s(1, 8, 6)], s(1, 14, 1), false),
        composite(&[s(0, 5, 25), s(1, 0, 7), s(1, 8, 7), s(1, 18, 11)], s(1, 29, 1)),
    ],
};

#[rustfmt::skip]
static FRA_ID: Layout = Layout {
    fields: &[
        f(F::DocumentCode, s(0, 0, 2)), f(F::IssuingState, s(0, 2, 3)), f(F::Surname, s(0, 5, 25)),
        f(F::OptionalData, s(0, 30, 6)),
        f(F::DocumentNumber, s(1, 0, 12)), f(F::GivenNames, s(1, 13, 14)), f(F::BirthDate, s(1, 27, 6)),
        f(F::Sex, s(1, 34, 1)),
    ],
    checks: &[
        c(C::DocumentNumber, &[s(1, 0, 12)], s(1, 12, 1), false),
        c(C::BirthDate, &[s(1, 27, 6)], s(1, 33, 1), false),
        composite(&[s(0, 0, 36), s(1, 0, 35)], s(1, 35, 1)),
    ],
};

/// Driving-licence line, as inferred from the French specimen `D1FRA13AA000026181231MARTIN<<9`:
/// `D` + configuration digit, issuing state, 9-character licence number, a check digit over
/// everything before it, expiry `YYMMDD`, first 8 characters of the surname and a check digit over
/// the first 29 characters.
#[rustfmt::skip]
static DL: Layout = Layout {
    fields: &[
        f(F::DocumentCode, s(0, 0, 2)), f(F::IssuingState, s(0, 2, 3)), f(F::DocumentNumber, s(0, 5, 9)),
        f(F::ExpiryDate, s(0, 15, 6)), f(F::Surname, s(0, 21, 8)),
    ],
    checks: &[
        c(C::DocumentNumber, &[s(0, 0, 14)], s(0, 14, 1), false),
        composite(&[s(0, 0, 29)], s(0, 29, 1)),
    ],
};

/// Picks the format from exact line geometry and the document code. Returns `None` when the
/// geometry matches no format. For `IDFRA` 2×36 lines both the French ID and TD2 are returned,
/// French ID first.
pub(crate) fn detect(lines: &[&[u8]]) -> Option<(MrzFormat, Option<MrzFormat>)> {
    let n = lines.len();
    let w = lines.first()?.len();
    if lines.iter().any(|l| l.len() != w) {
        return None;
    }
    let first = lines[0].first().copied().unwrap_or(b'<');
    match (n, w) {
        (3, 30) => Some((MrzFormat::Td1, None)),
        (2, 44) if first == b'V' => Some((MrzFormat::MrvA, None)),
        (2, 44) => Some((MrzFormat::Td3, None)),
        (2, 36) if first == b'V' => Some((MrzFormat::MrvB, None)),
        (2, 36) if lines[0].starts_with(b"IDFRA") => {
            Some((MrzFormat::FrenchId, Some(MrzFormat::Td2)))
        }
        (2, 36) => Some((MrzFormat::Td2, None)),
        (1, 30) if first == b'D' => Some((MrzFormat::DrivingLicence, None)),
        _ => None,
    }
}

/// Formats whose geometry is within `slack` characters of the given line lengths, best first.
pub(crate) fn candidates_fuzzy(
    lens: &[usize],
    first: u8,
    starts_idfra: bool,
    slack: usize,
) -> Vec<MrzFormat> {
    let mut out: Vec<(usize, MrzFormat)> = Vec::new();
    for fmt in MrzFormat::ALL {
        if fmt.line_count() != lens.len() {
            continue;
        }
        let dist: usize = lens
            .iter()
            .map(|&l| l.abs_diff(fmt.line_len()))
            .max()
            .unwrap_or(0);
        if dist > slack {
            continue;
        }
        let ok = match fmt {
            MrzFormat::MrvA | MrzFormat::MrvB => first == b'V',
            MrzFormat::Td3 | MrzFormat::Td2 => first != b'V',
            MrzFormat::FrenchId => starts_idfra,
            MrzFormat::DrivingLicence => first == b'D',
            MrzFormat::Td1 => true,
        };
        if ok {
            out.push((dist, fmt));
        }
    }
    out.sort_by_key(|&(d, f)| (d, f != MrzFormat::FrenchId));
    out.into_iter().map(|(_, f)| f).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layouts_fit_their_lines() {
        for fmt in MrzFormat::ALL {
            let l = fmt.layout();
            let mut covered = vec![vec![false; fmt.line_len()]; fmt.line_count()];
            for fs in l.fields {
                let row = &mut covered[fs.span.line as usize];
                for (i, c) in row
                    .iter_mut()
                    .enumerate()
                    .take(fs.span.end())
                    .skip(fs.span.start as usize)
                {
                    assert!(!*c, "{fmt} overlap at {i}");
                    *c = true;
                }
            }
            for cs in l.checks {
                assert!(cs.digit.end() <= fmt.line_len());
                for p in cs.parts {
                    assert!(p.end() <= fmt.line_len());
                }
                let d = cs.digit;
                assert!(
                    !covered[d.line as usize][d.start as usize],
                    "{fmt} digit overlaps field"
                );
                covered[d.line as usize][d.start as usize] = true;
            }
        }
    }

    #[test]
    fn detection() {
        let l44 = [b'P'; 44];
        let v44 = [b'V'; 44];
        assert_eq!(detect(&[&l44, &l44]).unwrap().0, MrzFormat::Td3);
        assert_eq!(detect(&[&v44, &l44]).unwrap().0, MrzFormat::MrvA);
        assert!(detect(&[&l44[..43], &l44]).is_none());
        assert_eq!(
            candidates_fuzzy(&[43, 45], b'P', false, 2),
            vec![MrzFormat::Td3]
        );
        assert_eq!(
            candidates_fuzzy(&[36, 35], b'I', true, 2)[0],
            MrzFormat::FrenchId
        );
    }
}
