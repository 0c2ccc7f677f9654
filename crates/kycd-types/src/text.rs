//! Name folding shared by every check that compares names: MRZ encoding, prefill and visual-zone comparison,
//! utility-bill holder names, sanctions screening. One table, so two checks never disagree about what `Ž` is.

/// The upper-case ASCII letters a Latin letter with diacritics folds to (`Ñ` → `N`, `ß` → `SS`, `Æ` → `AE`);
/// ASCII letters and digits map to themselves (upper case); anything else is `None`.
pub fn fold_char(c: char) -> Option<&'static str> {
    const LETTERS: [&str; 36] = [
        "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N", "O", "P", "Q", "R",
        "S", "T", "U", "V", "W", "X", "Y", "Z", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9",
    ];
    if c.is_ascii_alphabetic() {
        return Some(LETTERS[(c.to_ascii_uppercase() as u8 - b'A') as usize]);
    }
    if c.is_ascii_digit() {
        return Some(LETTERS[26 + (c as u8 - b'0') as usize]);
    }
    let up = c.to_uppercase().next().unwrap_or(c);
    Some(match up {
        'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' | 'Ā' | 'Ă' | 'Ą' => "A",
        'Ç' | 'Ć' | 'Ĉ' | 'Ċ' | 'Č' => "C",
        'Ď' | 'Đ' | 'Ð' => "D",
        'È' | 'É' | 'Ê' | 'Ë' | 'Ē' | 'Ĕ' | 'Ė' | 'Ę' | 'Ě' => "E",
        'Ĝ' | 'Ğ' | 'Ġ' | 'Ģ' => "G",
        'Ĥ' | 'Ħ' => "H",
        'Ì' | 'Í' | 'Î' | 'Ï' | 'Ĩ' | 'Ī' | 'Ĭ' | 'Į' | 'İ' | 'I' => "I",
        'Ĵ' => "J",
        'Ķ' => "K",
        'Ĺ' | 'Ļ' | 'Ľ' | 'Ŀ' | 'Ł' => "L",
        'Ñ' | 'Ń' | 'Ņ' | 'Ň' => "N",
        'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' | 'Ō' | 'Ŏ' | 'Ő' => "O",
        'Ŕ' | 'Ŗ' | 'Ř' => "R",
        'Ś' | 'Ŝ' | 'Ş' | 'Š' | 'Ș' => "S",
        'Ţ' | 'Ť' | 'Ŧ' | 'Ț' => "T",
        'Ù' | 'Ú' | 'Û' | 'Ü' | 'Ũ' | 'Ū' | 'Ŭ' | 'Ů' | 'Ű' | 'Ų' => "U",
        'Ŵ' => "W",
        'Ý' | 'Ÿ' | 'Ŷ' => "Y",
        'Ź' | 'Ż' | 'Ž' => "Z",
        'ẞ' => "SS",
        'Æ' => "AE",
        'Œ' => "OE",
        'Þ' => "TH",
        _ if c == 'ß' => "SS",
        _ if c == 'ı' => "I",
        _ => return None,
    })
}

/// A name folded to upper-case ASCII: diacritics folded ([`fold_char`]), every other character a space.
pub fn fold_name(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        out.push_str(fold_char(c).unwrap_or(" "));
    }
    out
}

/// Name tokens: [`fold_name`] split on white space.
pub fn name_tokens(s: &str) -> Vec<String> {
    fold_name(s)
        .split_whitespace()
        .map(str::to_string)
        .collect()
}

/// Upper-case ASCII letters and digits only (document numbers, personal codes, dates compared loosely).
pub fn alnum_upper(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Levenshtein distance (insertions, deletions, substitutions) between two short strings (words, document numbers).
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let sub = prev[j - 1] + usize::from(a[i - 1] != b[j - 1]);
            cur[j] = sub.min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diacritics_fold_to_their_base_letters() {
        assert_eq!(
            fold_name("Žaneta Müller-Lüdenscheidt"),
            "ZANETA MULLER LUDENSCHEIDT"
        );
        assert_eq!(fold_name("Straße Æbelø"), "STRASSE AEBELO");
        assert_eq!(name_tokens("  o'Brien, Seán "), ["O", "BRIEN", "SEAN"]);
        assert_eq!(fold_char('ñ'), Some("N"));
        assert_eq!(fold_char('€'), None);
        assert_eq!(fold_char('7'), Some("7"));
    }

    #[test]
    fn alnum_upper_drops_punctuation() {
        assert_eq!(alnum_upper("ab-12 3/x"), "AB123X");
    }
}
