//! Turning OCR text into MRZ lines: character normalisation, ICAO 9303 check digits used to choose
//! between candidate readings, and length repair of filler runs (the recogniser sometimes drops or adds
//! one `<` in a long run of fillers).

/// MRZ layouts this crate localises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum MrzLayout {
    /// ID card, 3 lines of 30.
    Td1,
    /// Official travel document, 2 lines of 36.
    Td2,
    /// Passport, 2 lines of 44.
    Td3,
    /// Visa type A, 2 lines of 44.
    Mrva,
    /// Visa type B, 2 lines of 36.
    Mrvb,
    /// EU/ISO 18013 driving licence, 1 line of 30 (non-ICAO).
    DrivingLicence,
}

impl MrzLayout {
    /// Name as used in JSON output (`TD1`, `TD2`, `TD3`, `MRVA`, `MRVB`, `DL`).
    pub fn name(self) -> &'static str {
        match self {
            MrzLayout::Td1 => "TD1",
            MrzLayout::Td2 => "TD2",
            MrzLayout::Td3 => "TD3",
            MrzLayout::Mrva => "MRVA",
            MrzLayout::Mrvb => "MRVB",
            MrzLayout::DrivingLicence => "DL",
        }
    }

    /// (number of lines, line length).
    pub fn shape(self) -> (usize, usize) {
        match self {
            MrzLayout::Td1 => (3, 30),
            MrzLayout::Td2 | MrzLayout::Mrvb => (2, 36),
            MrzLayout::Td3 | MrzLayout::Mrva => (2, 44),
            MrzLayout::DrivingLicence => (1, 30),
        }
    }

    /// Layouts with a given shape; the first line's document code decides between passport and visa.
    pub fn for_shape(lines: usize, len: usize, first_char: char) -> Option<MrzLayout> {
        match (lines, len) {
            (3, 30) => Some(MrzLayout::Td1),
            (2, 36) if first_char == 'V' => Some(MrzLayout::Mrvb),
            (2, 36) => Some(MrzLayout::Td2),
            (2, 44) if first_char == 'V' => Some(MrzLayout::Mrva),
            (2, 44) => Some(MrzLayout::Td3),
            (1, 30) if first_char == 'D' => Some(MrzLayout::DrivingLicence),
            _ => None,
        }
    }
}

/// True for characters of the MRZ alphabet.
pub fn is_mrz_char(c: char) -> bool {
    c.is_ascii_uppercase() || c.is_ascii_digit() || c == '<'
}

/// Normalises recogniser output towards the MRZ alphabet: upper case, full-width forms folded,
/// look-alikes of `<` mapped to `<`, spaces dropped. Returns the text and the fraction of input
/// characters that were already MRZ characters (a "looks like MRZ" score).
pub fn normalize(text: &str) -> (String, f32) {
    let mut out = String::with_capacity(text.len());
    let mut native = 0usize;
    let mut total = 0usize;
    for c in text.chars() {
        if c.is_whitespace() {
            continue;
        }
        total += 1;
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        if is_mrz_char(c) {
            native += 1;
            out.push(c);
            continue;
        }
        match c {
            // The recogniser writes a run of fillers as these when its CJK dictionary wins: they are the filler and
            // count as MRZ characters, or a clean name line read as "ＰくＰＲＴR０ＳＳIくくＬＵＣＡＳくくくく…" scores
            // below the MRZ-row threshold and the upright page is turned sideways looking for its MRZ.
            '«' => {
                native += 1;
                out.push_str("<<");
            }
            '‹' | '〈' | 'く' | 'ㄑ' | '⟨' | 'ヘ' | 'へ' | 'ハ' => {
                native += 1;
                out.push('<');
            }
            // The recogniser's dictionary holds the Greek capitals, and it writes the OCR-B letters they look like as
            // them (`Ρ` for `P` above all). Dropped, they cost the MRZ a character: `I<FIN549224ΡXA4…` became
            // `549224XA4` and `P<POL…` lost its `P`, leaving lines that no repair validates.
            c @ ('Α' | 'Β' | 'Ε' | 'Ζ' | 'Η' | 'Ι' | 'Κ' | 'Μ' | 'Ν' | 'Ο' | 'Ρ' | 'Τ' | 'Υ'
            | 'Χ') => {
                native += 1;
                out.push(latin_of_greek(c));
            }
            // Weaker look-alikes of the filler (also common punctuation): mapped, not counted.
            '≤' | '(' | '{' | '[' | '‘' | 'Λ' | '∧' | '^' | '＾' => out.push('<'),
            c if c.is_ascii_lowercase() => out.push(c.to_ascii_uppercase()),
            _ => {}
        }
    }
    let score = if total == 0 {
        0.0
    } else {
        native as f32 / total as f32
    };
    (out, score)
}

/// The Latin capital a Greek capital look-alike stands for in an MRZ or a document number (others unchanged).
pub(crate) fn latin_of_greek(c: char) -> char {
    match c {
        'Α' => 'A',
        'Β' => 'B',
        'Ε' => 'E',
        'Ζ' => 'Z',
        'Η' => 'H',
        'Ι' => 'I',
        'Κ' => 'K',
        'Μ' => 'M',
        'Ν' => 'N',
        'Ο' => 'O',
        'Ρ' => 'P',
        'Τ' => 'T',
        'Υ' => 'Y',
        'Χ' => 'X',
        c => c,
    }
}

/// In a name field no run of three or more fillers can be followed by more name characters: names are
/// separated by `<` and surname from given names by `<<`. Everything after the first `<<<` is filler,
/// which removes filler runs misread as letters (`<` → `C`, `K`, `S`...).
pub fn clean_name_tail(field: &str) -> String {
    match field.find("<<<") {
        Some(i) => {
            let mut s = field[..i].to_string();
            s.push_str(&"<".repeat(field.len() - i));
            s
        }
        None => field.to_string(),
    }
}

/// Applies [`clean_name_tail`] to the name fields of a line set with exact layout lengths.
pub fn clean_names(layout: MrzLayout, lines: &mut [String]) {
    let (line, start) = match layout {
        MrzLayout::Td3 | MrzLayout::Td2 | MrzLayout::Mrva | MrzLayout::Mrvb => (0, 5),
        MrzLayout::Td1 => (2, 0),
        MrzLayout::DrivingLicence => return,
    };
    if let Some(l) = lines.get_mut(line)
        && l.is_ascii()
        && l.len() > start
    {
        let cleaned = clean_name_tail(&l[start..]);
        *l = format!("{}{}", &l[..start], cleaned);
    }
}

/// ICAO 9303 character value.
fn char_value(c: char) -> Option<u32> {
    match c {
        '0'..='9' => Some(c as u32 - '0' as u32),
        'A'..='Z' => Some(c as u32 - 'A' as u32 + 10),
        '<' => Some(0),
        _ => None,
    }
}

/// ICAO 9303 7-3-1 check digit of a field.
pub fn check_digit(field: &str) -> Option<u32> {
    const W: [u32; 3] = [7, 3, 1];
    let mut sum = 0;
    for (i, c) in field.chars().enumerate() {
        sum += char_value(c)? * W[i % 3];
    }
    Some(sum % 10)
}

/// Whether `digit` is the check digit of `field` (`<` counts as 0, as printed for empty optional data).
fn check_ok(field: &str, digit: char) -> bool {
    match (check_digit(field), digit) {
        (Some(v), '<') => v == 0,
        (Some(v), d) => d.to_digit(10) == Some(v),
        _ => false,
    }
}

/// (passed, total) check digits of a candidate MRZ. Lines must have the layout's exact lengths.
pub fn check_score(layout: MrzLayout, lines: &[String]) -> (u32, u32) {
    let (n, len) = layout.shape();
    if lines.len() != n || lines.iter().any(|l| l.len() != len || !l.is_ascii()) {
        return (0, 1);
    }
    let mut checks: Vec<bool> = Vec::new();
    match layout {
        MrzLayout::Td3 | MrzLayout::Td2 | MrzLayout::Mrva | MrzLayout::Mrvb => {
            let l = &lines[1];
            let b = l.as_bytes();
            checks.push(check_ok(&l[0..9], b[9] as char));
            checks.push(check_ok(&l[13..19], b[19] as char));
            checks.push(check_ok(&l[21..27], b[27] as char));
            match layout {
                MrzLayout::Td3 => {
                    checks.push(check_ok(&l[28..42], b[42] as char));
                    let comp = format!("{}{}{}", &l[0..10], &l[13..20], &l[21..43]);
                    checks.push(check_ok(&comp, b[43] as char));
                }
                MrzLayout::Td2 => {
                    let comp = format!("{}{}{}", &l[0..10], &l[13..20], &l[21..35]);
                    checks.push(check_ok(&comp, b[35] as char));
                }
                _ => {}
            }
        }
        MrzLayout::Td1 => {
            let l1 = &lines[0];
            let l2 = &lines[1];
            let b1 = l1.as_bytes();
            let b2 = l2.as_bytes();
            if b1[14] == b'<' {
                // Long document number: continues in the optional data, its check digit is the last
                // character before the first filler.
                let ext: String = l1[15..30].chars().take_while(|&c| c != '<').collect();
                if ext.len() >= 2 {
                    let (num, cd) = ext.split_at(ext.len() - 1);
                    checks.push(check_ok(
                        &format!("{}{}", &l1[5..14], num),
                        cd.chars().next().unwrap_or('?'),
                    ));
                } else {
                    checks.push(false);
                }
            } else {
                checks.push(check_ok(&l1[5..14], b1[14] as char));
            }
            checks.push(check_ok(&l2[0..6], b2[6] as char));
            checks.push(check_ok(&l2[8..14], b2[14] as char));
            let comp = format!("{}{}{}{}", &l1[5..30], &l2[0..7], &l2[8..15], &l2[18..29]);
            checks.push(check_ok(&comp, b2[29] as char));
        }
        MrzLayout::DrivingLicence => {
            let l = &lines[0];
            checks.push(check_ok(&l[0..29], l.as_bytes()[29] as char));
        }
    }
    let passed = checks.iter().filter(|&&c| c).count() as u32;
    (passed, checks.len() as u32)
}

/// Candidate versions of `line` with exactly `target` characters, obtained by inserting or removing
/// at most `max_edits` fillers in runs of `<` (or at the end). The unmodified line comes first when it
/// already has the right length. Each candidate carries its edit count.
pub fn length_variants(line: &str, target: usize, max_edits: usize) -> Vec<(String, usize)> {
    let chars: Vec<char> = line.chars().collect();
    let n = chars.len();
    let mut out: Vec<(String, usize)> = Vec::new();
    if n == target {
        out.push((line.to_string(), 0));
        return out;
    }
    let diff = n.abs_diff(target);
    if diff > max_edits {
        return out;
    }
    // Filler runs: (start, len).
    let mut runs: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        if chars[i] == '<' {
            let s = i;
            while i < n && chars[i] == '<' {
                i += 1;
            }
            runs.push((s, i - s));
        } else {
            i += 1;
        }
    }
    let mut push = |s: String| {
        if s.chars().count() == target && !out.iter().any(|(o, _)| *o == s) {
            out.push((s, diff));
        }
    };
    if n < target {
        let pad = "<".repeat(diff);
        // Trailing fillers first: name lines (no check digits) end with fillers.
        let mut v = line.to_string();
        v.push_str(&pad);
        push(v);
        for &(s, _) in &runs {
            let mut v: String = chars[..s].iter().collect();
            v.push_str(&pad);
            v.extend(&chars[s..]);
            push(v);
        }
    } else {
        if chars[target..].iter().all(|&c| c == '<') {
            push(chars[..target].iter().collect());
        }
        for &(s, len) in &runs {
            if len >= diff {
                let mut v: String = chars[..s].iter().collect();
                v.extend(&chars[s + diff..]);
                push(v);
            }
        }
        // Trailing garbage (e.g. a stray character after the last filler).
        push(chars[..target].iter().collect());
        // Leading garbage.
        push(chars[diff..].iter().collect());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    use kycd_mrz::specimen::{TD1, TD3};

    fn owned(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn check_digits_of_specimens() {
        assert_eq!(check_score(MrzLayout::Td3, &owned(&TD3)), (5, 5));
        assert_eq!(check_score(MrzLayout::Td1, &owned(&TD1)), (4, 4));
        let mut bad = owned(&TD3);
        bad[1] = bad[1].replacen("7408122", "7408123", 1);
        assert_eq!(check_score(MrzLayout::Td3, &bad), (3, 5));
        assert_eq!(
            check_score(
                MrzLayout::DrivingLicence,
                &owned(&["D1FRA13AA000026181231MARTIN<<9"])
            ),
            (1, 1)
        );
    }

    #[test]
    fn long_document_number_td1() {
        // Portuguese-style long number: line1[14] is '<' and the number continues.
        let l1 = "I<PRTC1234567<<8123<<<<<<<<<<<".to_string();
        let num = "C1234567<8123";
        let _ = num;
        let score = check_score(
            MrzLayout::Td1,
            &[
                l1,
                "7408122F1204159PRT<<<<<<<<<<<0".into(),
                "A<<B<<<<<<<<<<<<<<<<<<<<<<<<<<".into(),
            ],
        );
        assert_eq!(score.1, 4);
    }

    #[test]
    fn name_tail() {
        assert_eq!(
            clean_name_tail("SPECIMEN<<VZOR<<<C<<<<CCCA<<"),
            "SPECIMEN<<VZOR<<<<<<<<<<<<<<"
        );
        assert_eq!(
            clean_name_tail("ERIKSSON<<ANNA<MARIA<<<"),
            "ERIKSSON<<ANNA<MARIA<<<"
        );
        let mut l = vec![
            "P<CZESPECIMEN<<VZOR<<<CC<<<<<<<<<<<<<<<<<<<<".to_string(),
            "x".into(),
        ];
        clean_names(MrzLayout::Td3, &mut l);
        assert_eq!(l[0], "P<CZESPECIMEN<<VZOR<<<<<<<<<<<<<<<<<<<<<<<<<");
    }

    #[test]
    fn normalization() {
        assert_eq!(normalize("p<uto eriksson«anna").0, "P<UTOERIKSSON<<ANNA");
        // Full-width forms are folded and count as MRZ characters; CJK characters lower the score.
        let (t, s) = normalize("ＡＢ<<");
        assert_eq!(t, "AB<<");
        assert!((s - 1.0).abs() < 1e-6);
        let (t, s) = normalize("AB中<<");
        assert_eq!(t, "AB<<");
        assert!(s < 1.0);
        // The filler read as a CJK look-alike is still an MRZ character (a clean synthetic passport's name line).
        let (t, s) = normalize(
            "ＰくＰＲＴR０ＳＳIくくＬＵＣＡＳくくくくくくくくくくくくくくくくくくくくくくくくくくく",
        );
        assert_eq!(t, "P<PRTR0SSI<<LUCAS<<<<<<<<<<<<<<<<<<<<<<<<<<<");
        assert!((s - 1.0).abs() < 1e-6, "{s}");
        let (_, s) = normalize("(12) [A]");
        assert!(s < 0.75, "{s}");
        // Greek capitals that look like Latin ones are those letters (Ρ is U+03A1, not P).
        let (t, s) = normalize("I<FIN549224\u{3A1}XA4<<<<<<<<<<<<<<<<");
        assert_eq!(t, "I<FIN549224PXA4<<<<<<<<<<<<<<<<");
        assert!((s - 1.0).abs() < 1e-6, "{s}");
        assert_eq!(normalize("\u{391}\u{392}\u{395}\u{396}\u{397}\u{399}\u{39A}\u{39C}\u{39D}\u{39F}\u{3A1}\u{3A4}\u{3A5}\u{3A7}").0, "ABEZHIKMNOPTYX");
        // Other Greek letters are not MRZ characters.
        assert_eq!(normalize("A\u{3A6}B").0, "AB");
    }

    #[test]
    fn variants_fix_dropped_filler() {
        let short = TD3[1].replacen("B<<<<<10", "B<<<<10", 1);
        let vars = length_variants(&short, 44, 2);
        assert!(vars.iter().any(|(v, _)| v == TD3[1]));
        let long = TD3[0].to_string() + "<";
        assert!(
            length_variants(&long, 44, 2)
                .iter()
                .any(|(v, _)| v == TD3[0])
        );
        assert!(length_variants("ABC", 44, 2).is_empty());
        assert_eq!(
            length_variants(TD3[0], 44, 2),
            vec![(TD3[0].to_string(), 0)]
        );
    }

    proptest::proptest! {
        #[test]
        fn normalize_output_is_mrz_alphabet(s in "\\PC{0,60}") {
            let (t, score) = normalize(&s);
            proptest::prop_assert!(t.chars().all(is_mrz_char));
            proptest::prop_assert!((0.0..=1.0).contains(&score));
        }

        #[test]
        fn variants_have_target_length(s in "[A-Z0-9<]{38,50}") {
            for (v, _) in length_variants(&s, 44, 3) {
                proptest::prop_assert_eq!(v.chars().count(), 44);
            }
        }

        #[test]
        fn check_score_never_panics(a in "[A-Z0-9<]{0,46}", b in "[A-Z0-9<]{0,46}", c in "[A-Z0-9<]{0,46}") {
            for layout in [MrzLayout::Td1, MrzLayout::Td2, MrzLayout::Td3, MrzLayout::Mrva, MrzLayout::Mrvb, MrzLayout::DrivingLicence] {
                let _ = check_score(layout, &[a.clone(), b.clone(), c.clone()]);
                let _ = check_score(layout, &[a.clone(), b.clone()]);
                let _ = check_score(layout, std::slice::from_ref(&a));
            }
        }
    }
}
