//! Field-type coercion and check-digit-guided substitution search on aligned lines.

use super::{Correction, CorrectionKind};
use crate::check::{char_value, weight};
use crate::icao::is_known_code;
use crate::layout::{CheckedField, Field, MrzFormat};
use crate::names;

/// What a position may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// Alphanumeric data (document number, optional data, second document-code letter).
    Free,
    /// First document-code letter.
    Alpha,
    /// Country code.
    Code,
    /// Name.
    Name,
    /// Date digit (`<` allowed for unknown parts).
    Numeric,
    /// Check digit; `<` accepted when `filler_ok`.
    CheckDigit { filler_ok: bool },
    /// Sex.
    Sex,
}

pub(crate) fn class_map(format: MrzFormat) -> Vec<Vec<Class>> {
    let layout = format.layout();
    let mut map = vec![vec![Class::Free; format.line_len()]; format.line_count()];
    for fs in layout.fields {
        let class = match fs.field {
            Field::IssuingState | Field::Nationality => Class::Code,
            Field::Name | Field::Surname | Field::GivenNames => Class::Name,
            Field::BirthDate | Field::ExpiryDate => Class::Numeric,
            Field::Sex => Class::Sex,
            _ => Class::Free,
        };
        let row = &mut map[fs.span.line as usize];
        for c in &mut row[fs.span.start as usize..fs.span.end()] {
            *c = class;
        }
        if fs.field == Field::DocumentCode {
            row[fs.span.start as usize] = Class::Alpha;
        }
    }
    for cs in layout.checks {
        let overflow_ok = cs.which == CheckedField::DocumentNumber
            && matches!(format, MrzFormat::Td1 | MrzFormat::Td2);
        map[cs.digit.line as usize][cs.digit.start as usize] = Class::CheckDigit {
            filler_ok: cs.filler_ok || overflow_ok,
        };
    }
    map
}

/// Whether `c` may stand in a position of class `class` (used to prune insertions).
pub(crate) fn class_allows(class: Class, c: u8) -> bool {
    match class {
        Class::Free => true,
        Class::Alpha | Class::Code | Class::Name => c.is_ascii_uppercase() || c == b'<',
        Class::Numeric => c.is_ascii_digit() || c == b'<',
        Class::CheckDigit { filler_ok } => c.is_ascii_digit() || (filler_ok && c == b'<'),
        Class::Sex => matches!(c, b'M' | b'F' | b'X' | b'<'),
    }
}

/// Letter read where a digit must be.
fn to_digit(c: u8) -> Option<u8> {
    Some(match c {
        b'O' | b'Q' | b'D' | b'U' => b'0',
        b'I' | b'L' => b'1',
        b'Z' => b'2',
        b'A' => b'4',
        b'S' => b'5',
        b'G' => b'6',
        b'T' => b'7',
        b'B' => b'8',
        _ => return None,
    })
}

/// Digit read where a letter must be.
fn to_letter(c: u8) -> Option<u8> {
    Some(match c {
        b'0' => b'O',
        b'1' => b'I',
        b'2' => b'Z',
        b'4' => b'A',
        b'5' => b'S',
        b'6' => b'G',
        b'7' => b'T',
        b'8' => b'B',
        _ => return None,
    })
}

/// Characters OCR engines produce for a run of `<` fillers.
fn filler_lookalike(c: u8) -> bool {
    matches!(c, b'K' | b'X' | b'C' | b'S' | b'E' | b'L')
}

/// OCR confusion partners used by the check-digit search (pairs whose check-digit weights differ;
/// `G`/`6` and `K`/`<` differ by a multiple of 10 and are invisible to check digits).
pub(crate) fn partners(c: u8) -> &'static [u8] {
    match c {
        b'0' => b"OQ",
        b'O' | b'Q' => b"0",
        b'1' => b"I",
        b'I' => b"1",
        b'8' => b"B",
        b'B' => b"8",
        b'5' => b"S",
        b'S' => b"5",
        b'2' => b"Z",
        b'Z' => b"2",
        _ => b"",
    }
}

fn set(
    lines: &mut [Vec<u8>],
    li: usize,
    col: usize,
    to: u8,
    kind: CorrectionKind,
    edits: &mut Vec<Correction>,
) {
    let from = lines[li][col];
    if from != to {
        lines[li][col] = to;
        edits.push(Correction {
            line: li,
            column: col,
            from: Some(from as char),
            to: Some(to as char),
            kind,
        });
    }
}

fn code_alternatives(c: u8, pos: usize) -> Vec<u8> {
    let mut v = vec![c];
    match c {
        b'0' => v.extend_from_slice(b"OQD"),
        b'K' if pos > 0 => v.push(b'<'),
        _ => {
            if let Some(l) = to_letter(c) {
                v.push(l);
            }
        }
    }
    v
}

fn coerce_code(lines: &mut [Vec<u8>], li: usize, start: usize, edits: &mut Vec<Correction>) {
    let raw = [lines[li][start], lines[li][start + 1], lines[li][start + 2]];
    // Only digits and `K` can be OCR damage here; letters and fillers are left alone.
    if is_known_code(&raw) || !raw.iter().any(|&b| b.is_ascii_digit() || b == b'K') {
        return;
    }
    let alts: Vec<Vec<u8>> = (0..3).map(|i| code_alternatives(raw[i], i)).collect();
    let mut known = Vec::new();
    for &a in &alts[0] {
        for &b in &alts[1] {
            for &c in &alts[2] {
                if is_known_code(&[a, b, c]) {
                    known.push([a, b, c]);
                }
            }
        }
    }
    match known.len() {
        1 => {
            for (i, &b) in known[0].iter().enumerate() {
                set(lines, li, start + i, b, CorrectionKind::CountryCode, edits);
            }
        }
        0 => {
            for (i, &r) in raw.iter().enumerate() {
                if let Some(l) = to_letter(r) {
                    set(lines, li, start + i, l, CorrectionKind::TypeCoercion, edits);
                }
            }
        }
        _ => {}
    }
}

/// Deterministic fixes of characters that are impossible in their position: letters in digit
/// positions, digits in letter positions, filler look-alikes after the end of a name, invalid sex
/// characters, OCR-damaged country codes (fixed only when exactly one reading is a known code).
/// Never changes a character that is already allowed where it stands.
pub(crate) fn coerce(
    format: MrzFormat,
    classes: &[Vec<Class>],
    lines: &mut [Vec<u8>],
    only: Option<&[usize]>,
    edits: &mut Vec<Correction>,
) {
    let wanted = |li: usize| only.is_none_or(|o| o.contains(&li));
    for li in (0..lines.len()).filter(|&li| wanted(li)) {
        for col in 0..lines[li].len() {
            let c = lines[li][col];
            match classes[li][col] {
                Class::Numeric if !(c.is_ascii_digit() || c == b'<') => {
                    if let Some(d) = to_digit(c) {
                        set(lines, li, col, d, CorrectionKind::TypeCoercion, edits);
                    }
                }
                Class::CheckDigit { filler_ok }
                    if !(c.is_ascii_digit() || (filler_ok && c == b'<')) =>
                {
                    if filler_ok && filler_lookalike(c) && c != b'S' && c != b'L' {
                        set(lines, li, col, b'<', CorrectionKind::FillerConfusion, edits);
                    } else if let Some(d) = to_digit(c) {
                        set(lines, li, col, d, CorrectionKind::TypeCoercion, edits);
                    }
                }
                Class::Alpha | Class::Name if c.is_ascii_digit() => {
                    if let Some(l) = to_letter(c) {
                        set(lines, li, col, l, CorrectionKind::TypeCoercion, edits);
                    }
                }
                Class::Sex if !matches!(c, b'M' | b'F' | b'X' | b'<') => {
                    let to = match c {
                        b'K' => Some(b'<'),
                        b'H' | b'N' | b'W' => Some(b'M'),
                        b'E' | b'P' => Some(b'F'),
                        _ => None,
                    };
                    if let Some(to) = to {
                        set(lines, li, col, to, CorrectionKind::TypeCoercion, edits);
                    }
                }
                _ => {}
            }
        }
    }
    let layout = format.layout();
    for fs in layout
        .fields
        .iter()
        .filter(|f| wanted(f.span.line as usize))
    {
        let (li, start, end) = (fs.span.line as usize, fs.span.start as usize, fs.span.end());
        match fs.field {
            Field::IssuingState | Field::Nationality => coerce_code(lines, li, start, edits),
            Field::Name | Field::Surname | Field::GivenNames => {
                let Some(first) = names::text_after_end(&lines[li][start..end]) else {
                    continue;
                };
                // Runs of filler look-alikes after the end of the name are fillers.
                let mut col = start + first;
                while col < end {
                    if lines[li][col] == b'<' {
                        col += 1;
                        continue;
                    }
                    let run_end = (col..end).find(|&i| lines[li][i] == b'<').unwrap_or(end);
                    if lines[li][col..run_end].iter().all(|&b| filler_lookalike(b)) {
                        for i in col..run_end {
                            set(lines, li, i, b'<', CorrectionKind::FillerConfusion, edits);
                        }
                    }
                    col = run_end;
                }
            }
            _ => {}
        }
    }
}

/// A check digit with explicit positions (TD1/TD2 long document numbers resolved).
#[derive(Debug, Clone)]
pub(crate) struct EffCheck {
    pub positions: Vec<(usize, usize)>,
    pub digit: (usize, usize),
    pub filler_ok: bool,
}

pub(crate) fn effective_checks(format: MrzFormat, lines: &[Vec<u8>]) -> Vec<EffCheck> {
    let layout = format.layout();
    let mut out = Vec::new();
    for cs in layout.checks {
        let mut positions = Vec::new();
        for p in cs.parts {
            for col in p.start as usize..p.end() {
                positions.push((p.line as usize, col));
            }
        }
        let mut digit = (cs.digit.line as usize, cs.digit.start as usize);
        let overflow_format = matches!(format, MrzFormat::Td1 | MrzFormat::Td2);
        if cs.which == CheckedField::DocumentNumber
            && overflow_format
            && lines[digit.0][digit.1] == b'<'
            && let Some(opt) = layout.span(Field::OptionalData)
        {
            let li = opt.line as usize;
            let seg = (opt.start as usize..opt.end())
                .take_while(|&c| lines[li][c] != b'<')
                .count();
            if seg > 0 {
                positions
                    .extend((opt.start as usize..opt.start as usize + seg - 1).map(|c| (li, c)));
                digit = (li, opt.start as usize + seg - 1);
            }
        }
        out.push(EffCheck {
            positions,
            digit,
            filler_ok: cs.filler_ok,
        });
    }
    out
}

/// True when the TD1/TD2 document-number check digit holds `<` (long number: positions move).
pub(crate) fn may_overflow(format: MrzFormat, lines: &[Vec<u8>]) -> bool {
    match format {
        MrzFormat::Td1 => lines[0][14] == b'<',
        MrzFormat::Td2 => lines[1][9] == b'<',
        _ => false,
    }
}

/// Target digit of a check, `None` when the printed character cannot be a check digit.
fn target(check: &EffCheck, lines: &[Vec<u8>]) -> Option<u32> {
    match lines[check.digit.0][check.digit.1] {
        b @ b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'<' if check.filler_ok => Some(0),
        _ => None,
    }
}

fn sum(check: &EffCheck, lines: &[Vec<u8>]) -> u32 {
    check
        .positions
        .iter()
        .enumerate()
        .map(|(i, &(l, c))| char_value(lines[l][c]).unwrap_or(0) * weight(i))
        .sum()
}

/// A candidate substitution: position, new character, weighted change per check.
type Substitution = ((usize, usize), u8, Vec<(usize, i64)>);

/// Substitutions of at most `budget` characters (OCR confusion partners) in alphanumeric fields
/// that make every check digit of the lines in `group` validate. Only positions inside failing
/// checks and outside passing checks are touched. Returns the candidate line sets with their edits
/// (empty when impossible; the lines themselves when they already validate).
pub(crate) fn search(
    format: MrzFormat,
    classes: &[Vec<Class>],
    lines: &[Vec<u8>],
    group: &[usize],
    budget: usize,
    plain_checks: &[EffCheck],
) -> Vec<(Vec<Vec<u8>>, Vec<Correction>)> {
    let fresh;
    let all: &[EffCheck] = if may_overflow(format, lines) {
        fresh = effective_checks(format, lines);
        &fresh
    } else {
        plain_checks
    };
    let checks: Vec<&EffCheck> = all.iter().filter(|c| group.contains(&c.digit.0)).collect();
    let mut targets = Vec::with_capacity(checks.len());
    for c in &checks {
        match target(c, lines) {
            Some(t) => targets.push(t),
            None => return Vec::new(),
        }
    }
    let sums: Vec<u32> = checks.iter().map(|c| sum(c, lines)).collect();
    let failing: Vec<bool> = (0..checks.len())
        .map(|k| sums[k] % 10 != targets[k])
        .collect();
    if !failing.iter().any(|&f| f) {
        return vec![(lines.to_vec(), Vec::new())];
    }
    // A failing check over digits only (dates) cannot be fixed by substitutions.
    for (k, c) in checks.iter().enumerate() {
        if failing[k] && !c.positions.iter().any(|p| classes[p.0][p.1] == Class::Free) {
            return Vec::new();
        }
    }
    // Candidate positions with their weight in each check.
    let mut subs: Vec<Substitution> = Vec::new();
    let mut positions: Vec<(usize, usize)> = Vec::new();
    for (k, c) in checks.iter().enumerate() {
        if failing[k] {
            for &p in &c.positions {
                if classes[p.0][p.1] == Class::Free && !positions.contains(&p) {
                    positions.push(p);
                }
            }
        }
    }
    positions.retain(|p| {
        !checks
            .iter()
            .enumerate()
            .any(|(k, c)| !failing[k] && c.positions.contains(p))
    });
    for &p in &positions {
        let old = lines[p.0][p.1];
        for &alt in partners(old) {
            let dv =
                i64::from(char_value(alt).unwrap_or(0)) - i64::from(char_value(old).unwrap_or(0));
            let deltas = checks
                .iter()
                .enumerate()
                .filter_map(|(k, c)| {
                    c.positions
                        .iter()
                        .position(|&q| q == p)
                        .map(|i| (k, dv * i64::from(weight(i))))
                })
                .collect();
            subs.push((p, alt, deltas));
        }
    }
    let ok = |chosen: &[usize]| {
        (0..checks.len()).all(|k| {
            let mut s = i64::from(sums[k]);
            for &i in chosen {
                s += subs[i]
                    .2
                    .iter()
                    .filter(|d| d.0 == k)
                    .map(|d| d.1)
                    .sum::<i64>();
            }
            s.rem_euclid(10) == i64::from(targets[k])
        })
    };
    let mut found: Vec<Vec<usize>> = Vec::new();
    for i in 0..subs.len() {
        if ok(&[i]) {
            found.push(vec![i]);
        }
    }
    if budget >= 2 {
        for i in 0..subs.len() {
            for j in i + 1..subs.len() {
                if subs[i].0 != subs[j].0 && ok(&[i, j]) {
                    found.push(vec![i, j]);
                }
            }
        }
    }
    found
        .into_iter()
        .map(|chosen| {
            let mut l = lines.to_vec();
            let mut edits = Vec::new();
            for i in chosen {
                let ((li, col), alt, _) = subs[i];
                set(
                    &mut l,
                    li,
                    col,
                    alt,
                    CorrectionKind::CheckDigitGuided,
                    &mut edits,
                );
            }
            (l, edits)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kycd_check(docnum_and_digit: &[u8]) -> u8 {
        let cd = crate::check::check_digit(&docnum_and_digit[..9]);
        (docnum_and_digit[9] - b'0' + 10 - cd) % 10
    }

    fn lines(v: &[&str]) -> Vec<Vec<u8>> {
        v.iter().map(|s| s.as_bytes().to_vec()).collect()
    }

    #[test]
    fn coercion_by_type() {
        let f = MrzFormat::Td3;
        let cm = class_map(f);
        let mut l = lines(&[
            "P<UT0ER1KSSON<<ANNA<MAR1AK<<<<K<K<<<<<<<<<<<",
            "L898902C36UTO74O8122F12O4159ZE184226B<<<<<1O",
        ]);
        let mut e = Vec::new();
        coerce(f, &cm, &mut l, None, &mut e);
        assert_eq!(l[0], b"P<UTOERIKSSON<<ANNA<MARIAK<<<<<<<<<<<<<<<<<<");
        assert_eq!(l[1], b"L898902C36UTO7408122F1204159ZE184226B<<<<<10");
        assert!(e.iter().any(|c| c.kind == CorrectionKind::CountryCode));
        assert!(e.iter().any(|c| c.kind == CorrectionKind::FillerConfusion));
    }

    #[test]
    fn search_finds_unique_fix() {
        let f = MrzFormat::Td3;
        let cm = class_map(f);
        // `B` misread for `8` in the document number.
        let l = lines(&[
            "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
            "L89B902C36UTO7408122F1204159ZE184226B<<<<<10",
        ]);
        let pc = effective_checks(f, &l);
        let r = search(f, &cm, &l, &[1], 1, &pc);
        let truth = b"L898902C36UTO7408122F1204159ZE184226B<<<<<10";
        assert!(r.iter().any(|c| c.0[1] == truth));
        // Every candidate validates and differs from the input by one confusable character.
        for (c, e) in &r {
            assert_eq!(e.len(), 1);
            assert_eq!(kycd_check(&c[1][..10]), 0);
        }
        let r: Vec<_> = r.into_iter().filter(|c| c.0[1] == truth).collect();
        // Already valid: returned unchanged.
        let r = search(f, &cm, &r[0].0, &[1], 2, &pc);
        assert_eq!(r.len(), 1);
        assert!(r[0].1.is_empty());
    }
}
