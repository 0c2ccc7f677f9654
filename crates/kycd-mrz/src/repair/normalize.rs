//! Character-level normalisation of OCR lines: whitespace, case, look-alike symbols, accents.

use super::{Correction, CorrectionKind};
use crate::names::fold_letter;

fn filler_lookalike(c: char) -> bool {
    matches!(c, '«' | '‹' | '＜' | '≺' | '〈' | '⟨' | '(' | '[' | '{')
}

/// Normalises one OCR line into MRZ bytes. Unknown characters are dropped. Corrections use
/// columns of the normalised line.
pub(crate) fn normalize_line(line: &str, index: usize, out: &mut Vec<Correction>) -> Vec<u8> {
    let mut v: Vec<u8> = Vec::with_capacity(line.len());
    for ch in line.trim().chars() {
        let col = v.len();
        let mut fix = |kind, to: Option<char>| {
            out.push(Correction {
                line: index,
                column: col,
                from: Some(ch),
                to,
                kind,
            });
        };
        match ch {
            'A'..='Z' | '0'..='9' | '<' => v.push(ch as u8),
            'a'..='z' => {
                let up = ch.to_ascii_uppercase();
                fix(CorrectionKind::Case, Some(up));
                v.push(up as u8);
            }
            c if c.is_whitespace() => fix(CorrectionKind::Whitespace, None),
            c if filler_lookalike(c) => {
                fix(CorrectionKind::Symbol, Some('<'));
                v.push(b'<');
            }
            c => match fold_letter(c) {
                Some(b) => {
                    fix(CorrectionKind::Transliteration, Some(b as char));
                    v.push(b);
                }
                None => fix(CorrectionKind::Removed, None),
            },
        }
    }
    v
}

/// Quick MRZ-likeness of a raw text line: (normalised length, share of characters that are MRZ
/// characters or normalisable, whether it contains a filler).
pub(crate) fn mrz_likeness(line: &str) -> (usize, f32, bool) {
    let mut total = 0usize;
    let mut good = 0usize;
    let mut filler = false;
    for ch in line.chars().filter(|c| !c.is_whitespace()) {
        total += 1;
        if ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '<' || filler_lookalike(ch) {
            good += 1;
            filler |= ch == '<' || filler_lookalike(ch);
        } else if ch.is_ascii_lowercase() || fold_letter(ch).is_some() {
            // Lower case is tolerated but weighs less: visual-zone text is mostly lower case.
            good += usize::from(total.is_multiple_of(2));
        }
    }
    let share = if total == 0 {
        0.0
    } else {
        good as f32 / total as f32
    };
    (total, share, filler)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        let mut c = Vec::new();
        let v = normalize_line(" p<uto ÉRIK«SSON.", 0, &mut c);
        assert_eq!(v, b"P<UTOERIK<SSON");
        let kinds: Vec<_> = c.iter().map(|c| c.kind).collect();
        assert!(kinds.contains(&CorrectionKind::Case));
        assert!(kinds.contains(&CorrectionKind::Whitespace));
        assert!(kinds.contains(&CorrectionKind::Transliteration));
        assert!(kinds.contains(&CorrectionKind::Symbol));
        assert!(kinds.contains(&CorrectionKind::Removed));
        let (n, share, filler) = mrz_likeness("P<UTOERIKSSON<<ANNA");
        assert_eq!(n, 19);
        assert!(share > 0.99 && filler);
    }

    #[test]
    fn one_column_per_character() {
        // `Ñ` folds to one letter in its column; `ß` would fold to two and is dropped instead of shifting the line.
        let mut c = Vec::new();
        let v = normalize_line("MUÑOZ<STRAßE", 0, &mut c);
        assert_eq!(v, b"MUNOZ<STRAE");
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].column, c[0].to, c[0].kind),
            (2, Some('N'), CorrectionKind::Transliteration)
        );
        assert_eq!((c[1].from, c[1].kind), (Some('ß'), CorrectionKind::Removed));
    }
}
