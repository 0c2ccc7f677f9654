//! Strict parsing: exact line geometry, MRZ alphabet (accented letters folded), full validation.

use crate::check::{matches, weighted_sum};
use crate::date::{Date, DateKind, resolve_date, split_yymmdd};
use crate::error::MrzError;
use crate::layout::{self, CheckSpec, CheckedField, Field, MrzFormat};
use crate::model::{CheckDigit, CheckDigits, Issue, Mrz, MrzFields, Sex, Warning};
use crate::names;
use crate::short::Short;

/// Parsing options.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// Reference date for century inference; `None` → today (system clock, UTC).
    pub reference_date: Option<Date>,
}

impl ParseOptions {
    /// Options with a fixed reference date.
    pub fn with_reference_date(date: Date) -> ParseOptions {
        ParseOptions {
            reference_date: Some(date),
        }
    }

    pub(crate) fn reference(&self) -> Date {
        self.reference_date.unwrap_or_else(Date::today)
    }
}

const MAX_LINES: usize = 3;
const MAX_LEN: usize = 44;

/// Stack buffer holding up to 3 MRZ lines of up to 44 bytes.
struct LineBuf {
    data: [[u8; MAX_LEN]; MAX_LINES],
    lens: [usize; MAX_LINES],
    n: usize,
}

static MRZ_BYTE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<';
        i += 1;
    }
    t
};

#[inline]
fn is_mrz_byte(b: u8) -> bool {
    MRZ_BYTE[b as usize]
}

fn load_lines(lines: &[&str], warnings: &mut Vec<Warning>) -> Result<LineBuf, MrzError> {
    let mut buf = LineBuf {
        data: [[b'<'; MAX_LEN]; MAX_LINES],
        lens: [0; MAX_LINES],
        n: 0,
    };
    let too_big = || MrzError::UnsupportedLayout {
        line_lengths: lines
            .iter()
            .map(|l| l.trim())
            .filter(|l| !l.is_empty())
            .map(|l| l.chars().count())
            .collect(),
    };
    for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        if buf.n == MAX_LINES {
            return Err(too_big());
        }
        let li = buf.n;
        let mut len = 0;
        if line.is_ascii() {
            if line.len() > MAX_LEN {
                return Err(too_big());
            }
            for (col, &b) in line.as_bytes().iter().enumerate() {
                if !is_mrz_byte(b) {
                    return Err(MrzError::InvalidCharacter {
                        line: li,
                        column: col,
                        found: b as char,
                    });
                }
            }
            buf.data[li][..line.len()].copy_from_slice(line.as_bytes());
            len = line.len();
        } else {
            for (col, ch) in line.chars().enumerate() {
                if col >= MAX_LEN {
                    return Err(too_big());
                }
                let b = if ch.is_ascii() && is_mrz_byte(ch as u8) {
                    ch as u8
                } else if let Some(f) = names::fold_letter(ch) {
                    warnings.push(Warning::Transliterated {
                        line: li,
                        column: col,
                        from: ch,
                        to: f as char,
                    });
                    f
                } else {
                    return Err(MrzError::InvalidCharacter {
                        line: li,
                        column: col,
                        found: ch,
                    });
                };
                buf.data[li][col] = b;
                len = col + 1;
            }
        }
        buf.lens[li] = len;
        buf.n += 1;
    }
    if buf.n == 0 {
        return Err(MrzError::NoLines);
    }
    Ok(buf)
}

impl LineBuf {
    fn slices(&self) -> [&[u8]; MAX_LINES] {
        [
            &self.data[0][..self.lens[0]],
            &self.data[1][..self.lens[1]],
            &self.data[2][..self.lens[2]],
        ]
    }
}

/// Parses MRZ lines, detecting the layout from the geometry and the document code.
///
/// Leading/trailing whitespace and blank lines are ignored; accented letters are folded
/// (`Ñ` → `N`, with a [`Warning`]); any other character outside `A-Z0-9<` is an error. Check-digit
/// failures do not make parsing fail: see [`Mrz::is_valid`] and [`Mrz::checks`].
pub fn parse(lines: &[&str]) -> Result<Mrz, MrzError> {
    parse_with_options(lines, &ParseOptions::default())
}

/// [`parse`] with options (reference date).
pub fn parse_with_options(lines: &[&str], opts: &ParseOptions) -> Result<Mrz, MrzError> {
    let mut warnings = Vec::new();
    let buf = load_lines(lines, &mut warnings)?;
    let all = buf.slices();
    let slices = &all[..buf.n];
    let Some((first, alt)) = layout::detect(slices) else {
        return Err(MrzError::UnsupportedLayout {
            line_lengths: buf.lens[..buf.n].to_vec(),
        });
    };
    let reference = opts.reference();
    let Some(alt) = alt else {
        return Ok(decode(first, slices, reference, warnings));
    };
    let mrz = decode(first, slices, reference, warnings.clone());
    match alt {
        alt if !mrz.is_valid() => {
            let other = decode(alt, slices, reference, warnings);
            let score = |m: &Mrz| m.checks.failing().len();
            Ok(if score(&other) < score(&mrz) {
                other
            } else {
                mrz
            })
        }
        _ => Ok(mrz),
    }
}

/// Parses lines as a given layout (geometry must match exactly).
pub fn parse_as(format: MrzFormat, lines: &[&str], opts: &ParseOptions) -> Result<Mrz, MrzError> {
    let mut warnings = Vec::new();
    let buf = load_lines(lines, &mut warnings)?;
    if buf.n != format.line_count() || buf.lens[..buf.n].iter().any(|&l| l != format.line_len()) {
        return Err(MrzError::UnsupportedLayout {
            line_lengths: buf.lens[..buf.n].to_vec(),
        });
    }
    let all = buf.slices();
    Ok(decode(format, &all[..buf.n], opts.reference(), warnings))
}

/// Parses a block of text whose non-blank lines are exactly the MRZ lines.
pub fn parse_text(text: &str) -> Result<Mrz, MrzError> {
    let lines: Vec<&str> = text.lines().collect();
    parse(&lines)
}

/// Callers pass MRZ bytes (ASCII) only; anything else would be replaced, never panic.
fn ascii_string(b: &[u8]) -> String {
    std::str::from_utf8(b)
        .map(str::to_owned)
        .unwrap_or_else(|_| String::from_utf8_lossy(b).into_owned())
}

fn trim_fillers(b: &[u8]) -> &[u8] {
    let end = b.iter().rposition(|&c| c != b'<').map_or(0, |p| p + 1);
    &b[..end]
}

/// Reports every character of a field that `allowed` rejects.
fn check_chars(
    field: Field,
    raw: &[u8],
    (line, start): (usize, usize),
    allowed: fn(u8) -> bool,
    issues: &mut Vec<Issue>,
) {
    for (i, &b) in raw.iter().enumerate() {
        if !allowed(b) {
            issues.push(Issue::BadCharacter {
                field,
                line,
                column: start + i,
                found: b as char,
            });
        }
    }
}

/// Letters and fillers (names, state codes).
fn alpha(b: u8) -> bool {
    b.is_ascii_uppercase() || b == b'<'
}

/// Digits and fillers (dates).
fn date_char(b: u8) -> bool {
    b.is_ascii_digit() || b == b'<'
}

fn eval_check(spec: &CheckSpec, lines: &[&[u8]]) -> CheckDigit {
    let mut sum = 0;
    let mut offset = 0;
    for p in spec.parts {
        let s = p.slice(lines);
        sum += weighted_sum(s, offset);
        offset += s.len();
    }
    let computed = (sum % 10) as u8;
    let printed = spec.digit.slice(lines)[0];
    CheckDigit {
        printed: printed as char,
        computed,
        valid: matches(printed, computed, spec.filler_ok),
    }
}

/// TD1/TD2 long document number: the check-digit position holds `<` and the number continues in
/// the optional data, ended by its check digit. Returns (extra chars, check char, rest of optional).
fn overflow(cd: u8, optional: &[u8]) -> Option<(&[u8], u8, &[u8])> {
    if cd != b'<' {
        return None;
    }
    let seg_len = optional
        .iter()
        .position(|&b| b == b'<')
        .unwrap_or(optional.len());
    if seg_len == 0 {
        return None;
    }
    let rest = if seg_len < optional.len() {
        &optional[seg_len + 1..]
    } else {
        &[]
    };
    Some((&optional[..seg_len - 1], optional[seg_len - 1], rest))
}

/// Decodes lines whose geometry matches `format` exactly. Never panics on such input.
pub(crate) fn decode(
    format: MrzFormat,
    lines: &[&[u8]],
    reference: Date,
    mut warnings: Vec<Warning>,
) -> Mrz {
    let layout = format.layout();
    let mut fields = MrzFields::empty(format);
    let mut checks = CheckDigits::default();
    let mut issues = Vec::new();
    let mut birth = None;
    let mut expiry = None;
    for fs in layout.fields {
        let raw = fs.span.slice(lines);
        let (line, start) = (fs.span.line as usize, fs.span.start as usize);
        match fs.field {
            Field::DocumentCode => {
                if !raw[0].is_ascii_uppercase() {
                    issues.push(Issue::BadCharacter {
                        field: fs.field,
                        line,
                        column: start,
                        found: raw[0] as char,
                    });
                }
                fields.document_code = Short::from_ascii(trim_fillers(raw));
            }
            Field::IssuingState | Field::Nationality => {
                check_chars(fs.field, raw, (line, start), alpha, &mut issues);
                let s = Short::from_ascii(raw);
                if fs.field == Field::IssuingState {
                    fields.issuing_state = s;
                } else {
                    fields.nationality = s;
                }
            }
            Field::Name | Field::Surname | Field::GivenNames => {
                check_chars(fs.field, raw, (line, start), alpha, &mut issues);
                if let Some(col) = names::text_after_end(raw) {
                    issues.push(Issue::TextAfterNameEnd {
                        line,
                        column: start + col,
                    });
                }
                match fs.field {
                    Field::Name => {
                        let (p, s) = names::split_icao_name(raw);
                        fields.surname = p;
                        fields.given_names = s;
                    }
                    Field::Surname => fields.surname = names::join_components(raw),
                    _ => fields.given_names = names::join_components(raw),
                }
            }
            Field::DocumentNumber => fields.document_number = ascii_string(trim_fillers(raw)),
            Field::BirthDate | Field::ExpiryDate => {
                check_chars(fs.field, raw, (line, start), date_char, &mut issues);
                let kind = if fs.field == Field::BirthDate {
                    DateKind::Birth
                } else {
                    DateKind::Expiry
                };
                let d = resolve_date(raw, kind, reference);
                if d.is_none() && split_yymmdd(raw).is_some() {
                    warnings.push(Warning::ImpossibleDate(fs.field));
                }
                if kind == DateKind::Birth {
                    fields.birth_date = Short::from_ascii(raw);
                    birth = d;
                } else {
                    fields.expiry_date = Short::from_ascii(raw);
                    expiry = d;
                }
            }
            Field::Sex => match Sex::from_mrz(raw[0]) {
                Some(s) => fields.sex = s,
                None => issues.push(Issue::BadCharacter {
                    field: fs.field,
                    line,
                    column: start,
                    found: raw[0] as char,
                }),
            },
            Field::OptionalData => fields.optional_data = ascii_string(trim_fillers(raw)),
            Field::OptionalData2 => fields.optional_data_2 = ascii_string(trim_fillers(raw)),
            Field::CheckDigit => {}
        }
    }
    for spec in layout.checks {
        let mut result = eval_check(spec, lines);
        if spec.which == CheckedField::DocumentNumber
            && matches!(format, MrzFormat::Td1 | MrzFormat::Td2)
        {
            let opt_span = layout
                .span(Field::OptionalData)
                .expect("TD1/TD2 have optional data");
            let docspan = layout.span(Field::DocumentNumber).expect("document number");
            if let Some((extra, cd, rest)) = overflow(result.printed as u8, opt_span.slice(lines)) {
                let base = docspan.slice(lines);
                let sum = weighted_sum(base, 0) + weighted_sum(extra, base.len());
                let computed = (sum % 10) as u8;
                result = CheckDigit {
                    printed: cd as char,
                    computed,
                    valid: matches(cd, computed, false),
                };
                let mut number = ascii_string(base);
                number.push_str(&ascii_string(extra));
                fields.document_number = number;
                fields.optional_data = ascii_string(trim_fillers(rest));
            }
        }
        checks.set(spec.which, result);
    }
    Mrz {
        fields,
        lines: lines.iter().map(|l| ascii_string(l)).collect(),
        checks,
        birth_date: birth,
        expiry_date: expiry,
        issues,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::specimen::TD3;

    #[test]
    fn accented_letters_are_transliterated_in_their_column() {
        let line = TD3[0].replacen("ERIKSSON", "ÉRIKSSON", 1);
        let m = parse(&[line.as_str(), TD3[1]]).unwrap();
        assert_eq!(m.fields.surname, "ERIKSSON");
        assert!(m.is_valid());
        assert!(m.warnings.contains(&Warning::Transliterated {
            line: 0,
            column: 5,
            from: 'É',
            to: 'E',
        }));
    }

    #[test]
    fn letters_folding_to_two_are_invalid_characters() {
        let line = TD3[0].replacen("SS", "ß<", 1);
        assert_eq!(
            parse(&[line.as_str(), TD3[1]]).unwrap_err(),
            MrzError::InvalidCharacter {
                line: 0,
                column: 9,
                found: 'ß',
            }
        );
    }
}
