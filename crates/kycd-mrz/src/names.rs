//! Name fields: decoding (`<` → space, `<<` split), encoding, and folding of accented letters.

/// Joins the `<`-separated components of `raw` with single spaces.
pub(crate) fn join_components(raw: &[u8]) -> String {
    if raw.iter().all(|&b| b == b'<') {
        return String::new();
    }
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut gap = false;
    for &b in raw {
        if b == b'<' {
            gap = !out.is_empty();
        } else {
            if gap {
                out.push(b' ');
                gap = false;
            }
            out.push(b);
        }
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Splits an ICAO name field into (primary, secondary) at the first `<<`.
pub(crate) fn split_icao_name(raw: &[u8]) -> (String, String) {
    match raw.windows(2).position(|w| w == b"<<") {
        Some(i) => (join_components(&raw[..i]), join_components(&raw[i + 2..])),
        None => (join_components(raw), String::new()),
    }
}

/// Column (relative to the field) of the first letter/digit after a `<<<` run, if any.
pub(crate) fn text_after_end(raw: &[u8]) -> Option<usize> {
    let start = raw.windows(3).position(|w| w == b"<<<")?;
    raw[start..]
        .iter()
        .position(|&b| b != b'<')
        .map(|p| start + p)
}

/// Encodes words: spaces (and any run of them) become `sep`.
fn encode_words(s: &str, sep: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(sep)
}

/// ICAO name field content (unpadded): `SURNAME<<GIVEN<NAMES`.
pub(crate) fn encode_icao_name(surname: &str, given: &str) -> String {
    let mut out = encode_words(surname, "<");
    if !given.trim().is_empty() {
        out.push_str("<<");
        out.push_str(&encode_words(given, "<"));
    }
    out
}

/// Surname-only field content.
pub(crate) fn encode_surname(surname: &str) -> String {
    encode_words(surname, "<")
}

/// French-ID given names: names separated by `<<`.
pub(crate) fn encode_french_given(given: &str) -> String {
    encode_words(given, "<<")
}

/// Folds a Latin letter with diacritics to its ASCII base letter (upper case), e.g. `Ñ` → `N`, with the one
/// folding table of the project ([`kycd_types::text::fold_char`]).
///
/// Returns `None` for ASCII characters (they are MRZ characters or not as they stand) and for characters without
/// a **one**-letter equivalent, including the letters that fold to several (`ß` → `SS`, `Æ` → `AE`, `Œ`, `Þ`):
/// a printed MRZ holds one character per column, so an accented letter read in one is a misread or a
/// transliteration of exactly one column, and two letters would shift every field after it. (Names are
/// transliterated to several letters before they are encoded; [`crate::render()`] takes them folded.)
pub fn fold_letter(c: char) -> Option<u8> {
    if c.is_ascii() {
        return None;
    }
    match kycd_types::text::fold_char(c)?.as_bytes() {
        &[b] if b.is_ascii_uppercase() => Some(b),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split() {
        assert_eq!(
            split_icao_name(b"ERIKSSON<<ANNA<MARIA<<<<<<"),
            ("ERIKSSON".into(), "ANNA MARIA".into())
        );
        assert_eq!(
            split_icao_name(b"ESPANOLA<ESPANOLA<CARMEN<<<<<<"),
            ("ESPANOLA ESPANOLA CARMEN".into(), String::new())
        );
        assert_eq!(
            split_icao_name(b"<<ANNA<<<"),
            (String::new(), "ANNA".into())
        );
        assert_eq!(
            split_icao_name(b"UNITED<KINGDOM<<JODIE<PIPPA<"),
            ("UNITED KINGDOM".into(), "JODIE PIPPA".into())
        );
    }

    #[test]
    fn encode_and_tail() {
        assert_eq!(
            encode_icao_name("KOWALSKA KWIATKOWSKA", "JOANNA"),
            "KOWALSKA<KWIATKOWSKA<<JOANNA"
        );
        assert_eq!(encode_icao_name("X", " "), "X");
        assert_eq!(encode_french_given("VICTOR MARIE"), "VICTOR<<MARIE");
        assert_eq!(text_after_end(b"ANNA<<<<K<<"), Some(8));
        assert_eq!(text_after_end(b"ANNA<<MARIA<<"), None);
        assert_eq!(fold_letter('Ñ'), Some(b'N'));
        assert_eq!(fold_letter('ö'), Some(b'O'));
        assert_eq!(fold_letter('€'), None);
        assert_eq!(fold_letter('ı'), Some(b'I'));
        // One column, one letter: ASCII stands as it is, multi-letter folds are not single letters.
        assert_eq!(fold_letter('a'), None);
        assert_eq!(fold_letter('<'), None);
        for c in ['ß', 'ẞ', 'Æ', 'æ', 'Œ', 'Þ'] {
            assert_eq!(fold_letter(c), None, "{c}");
        }
    }
}
