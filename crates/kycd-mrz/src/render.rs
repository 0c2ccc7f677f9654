//! Rendering: [`MrzFields`] → MRZ lines with all check digits computed.

use crate::check::{check_digit, weighted_sum};
use crate::error::RenderError;
use crate::layout::{CheckedField, Field, MrzFormat};
use crate::model::MrzFields;
use crate::names;

fn validate(
    field: &'static str,
    value: &str,
    allowed: impl Fn(u8) -> bool,
) -> Result<(), RenderError> {
    if value.bytes().all(allowed) {
        Ok(())
    } else {
        Err(RenderError::BadValue {
            field,
            value: value.to_string(),
        })
    }
}

fn alnum(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'<'
}

fn name_char(b: u8) -> bool {
    b.is_ascii_uppercase() || b == b' ' || b == b'<'
}

fn place(
    line: &mut [u8],
    start: usize,
    len: usize,
    value: &[u8],
    field: &'static str,
) -> Result<(), RenderError> {
    if value.len() > len {
        return Err(RenderError::TooLong {
            field,
            max: len,
            got: value.len(),
        });
    }
    line[start..start + value.len()].copy_from_slice(value);
    Ok(())
}

/// Validates an alphanumeric field (letters, digits, fillers) and places it.
fn put(
    line: &mut [u8],
    start: usize,
    len: usize,
    field: &'static str,
    value: &str,
) -> Result<(), RenderError> {
    validate(field, value, alnum)?;
    place(line, start, len, value.as_bytes(), field)
}

/// Renders fields into MRZ lines (check digits computed, fillers padded).
///
/// Names longer than their positions are truncated; every other field must fit (document numbers
/// longer than 9 characters overflow into the optional data on TD1/TD2, as ICAO 9303 specifies).
/// Dates are `YYMMDD` strings (digits, or `<` for unknown parts). Fields that the layout does not
/// carry are ignored.
///
/// ```
/// use kycd_mrz::{parse, render, MrzFields, MrzFormat, Sex};
/// let mut f = MrzFields::empty(MrzFormat::Td3);
/// f.document_code = "P".into();
/// f.issuing_state = "UTO".into();
/// f.surname = "ERIKSSON".into();
/// f.given_names = "ANNA MARIA".into();
/// f.document_number = "L898902C3".into();
/// f.nationality = "UTO".into();
/// f.birth_date = "740812".into();
/// f.sex = Sex::Female;
/// f.expiry_date = "120415".into();
/// f.optional_data = "ZE184226B".into();
/// let lines = render(&f).unwrap();
/// assert_eq!(lines[1], "L898902C36UTO7408122F1204159ZE184226B<<<<<10");
/// let refs: Vec<&str> = lines.iter().map(|s| s.as_str()).collect();
/// assert_eq!(parse(&refs).unwrap().fields, f);
/// ```
pub fn render(fields: &MrzFields) -> Result<Vec<String>, RenderError> {
    let format = fields.format;
    let layout = format.layout();
    let mut lines = vec![vec![b'<'; format.line_len()]; format.line_count()];
    let mut overflow_cd: Option<(usize, usize)> = None;
    for fs in layout.fields {
        let (li, start, len) = (
            fs.span.line as usize,
            fs.span.start as usize,
            fs.span.len as usize,
        );
        let line = &mut lines[li];
        match fs.field {
            Field::DocumentCode => {
                if fields.document_code.is_empty() {
                    return Err(RenderError::BadValue {
                        field: "document_code",
                        value: String::new(),
                    });
                }
                put(line, start, len, "document_code", &fields.document_code)?;
            }
            Field::IssuingState => put(line, start, len, "issuing_state", &fields.issuing_state)?,
            Field::Nationality => put(line, start, len, "nationality", &fields.nationality)?,
            Field::Name | Field::Surname | Field::GivenNames => {
                validate("surname", &fields.surname, name_char)?;
                validate("given_names", &fields.given_names, name_char)?;
                let enc = match fs.field {
                    Field::Name => names::encode_icao_name(&fields.surname, &fields.given_names),
                    Field::Surname => names::encode_surname(&fields.surname),
                    _ => names::encode_french_given(&fields.given_names),
                };
                let b = enc.as_bytes();
                let n = b.len().min(len);
                line[start..start + n].copy_from_slice(&b[..n]);
            }
            Field::DocumentNumber => {
                validate("document_number", &fields.document_number, alnum)?;
                let num = fields.document_number.as_bytes();
                if num.len() > len && matches!(format, MrzFormat::Td1 | MrzFormat::Td2) {
                    line[start..start + len].copy_from_slice(&num[..len]);
                    // The check-digit position holds a filler; the rest goes to the optional data.
                    overflow_cd = Some((li, start + len));
                } else {
                    place(line, start, len, num, "document_number")?;
                }
            }
            Field::BirthDate | Field::ExpiryDate => {
                let (name, v) = if fs.field == Field::BirthDate {
                    ("birth_date", &fields.birth_date)
                } else {
                    ("expiry_date", &fields.expiry_date)
                };
                if v.len() != 6 || !v.bytes().all(|b| b.is_ascii_digit() || b == b'<') {
                    return Err(RenderError::BadValue {
                        field: name,
                        value: v.to_string(),
                    });
                }
                place(line, start, len, v.as_bytes(), name)?;
            }
            Field::Sex => line[start] = fields.sex.to_mrz() as u8,
            Field::OptionalData => {
                validate("optional_data", &fields.optional_data, alnum)?;
                let num = fields.document_number.as_bytes();
                let doc_len = layout
                    .span(Field::DocumentNumber)
                    .map_or(0, |s| s.len as usize);
                if num.len() > doc_len && matches!(format, MrzFormat::Td1 | MrzFormat::Td2) {
                    let extra = &num[doc_len..];
                    let cd = b'0'
                        + ((weighted_sum(&num[..doc_len], 0) + weighted_sum(extra, doc_len)) % 10)
                            as u8;
                    let mut v = extra.to_vec();
                    v.push(cd);
                    if !fields.optional_data.is_empty() {
                        v.push(b'<');
                        v.extend_from_slice(fields.optional_data.as_bytes());
                    }
                    if extra.contains(&b'<') {
                        return Err(RenderError::BadValue {
                            field: "document_number",
                            value: fields.document_number.clone(),
                        });
                    }
                    place(line, start, len, &v, "document_number")?;
                } else {
                    place(
                        line,
                        start,
                        len,
                        fields.optional_data.as_bytes(),
                        "optional_data",
                    )?;
                }
            }
            Field::OptionalData2 => {
                put(line, start, len, "optional_data_2", &fields.optional_data_2)?
            }
            Field::CheckDigit => {}
        }
    }
    // Check digits in layout order: the composite comes last and covers the others.
    for spec in layout.checks {
        let (li, pos) = (spec.digit.line as usize, spec.digit.start as usize);
        if spec.which == CheckedField::DocumentNumber && overflow_cd == Some((li, pos)) {
            continue;
        }
        let mut data = Vec::new();
        for p in spec.parts {
            data.extend_from_slice(&lines[p.line as usize][p.start as usize..p.end()]);
        }
        lines[li][pos] = b'0' + check_digit(&data);
    }
    Ok(lines
        .into_iter()
        .map(|l| l.into_iter().map(char::from).collect())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Sex;
    use crate::parse::parse;

    fn refs(v: &[String]) -> Vec<&str> {
        v.iter().map(|s| s.as_str()).collect()
    }

    #[test]
    fn td1_long_document_number() {
        let mut f = MrzFields::empty(MrzFormat::Td1);
        f.document_code = "I".into();
        f.issuing_state = "UTO".into();
        f.document_number = "D23145890734".into();
        f.birth_date = "740812".into();
        f.sex = Sex::Female;
        f.expiry_date = "120415".into();
        f.nationality = "UTO".into();
        f.surname = "ERIKSSON".into();
        f.given_names = "ANNA MARIA".into();
        let lines = render(&f).unwrap();
        assert_eq!(lines[0], "I<UTOD23145890<7349<<<<<<<<<<<");
        let m = parse(&refs(&lines)).unwrap();
        assert!(m.is_valid(), "{m:?}");
        assert_eq!(m.fields, f);
    }

    #[test]
    fn errors() {
        let mut f = MrzFields::empty(MrzFormat::Td3);
        f.document_code = "P".into();
        f.birth_date = "7408".into();
        assert!(matches!(
            render(&f),
            Err(RenderError::BadValue {
                field: "birth_date",
                ..
            })
        ));
        f.birth_date = "740812".into();
        f.expiry_date = "120415".into();
        f.document_number = "ABCDEFGHIJ".into();
        assert!(matches!(render(&f), Err(RenderError::TooLong { .. })));
    }
}
