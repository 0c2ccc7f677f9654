//! Name normalisation: transliteration (Latin diacritics through the shared
//! `kycd_types::text` fold table, other scripts via `deunicode`), case
//! folding, tokenisation, token classes (particles, titles, legal forms), phonetic keys
//! and edit distances.

/// The class of a token, which sets its weight in scoring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenClass {
    /// An ordinary name part.
    Normal,
    /// Arabic / Dutch / German / Romance particles (`al`, `bin`, `van`, `de`...).
    Particle,
    /// Honorifics and titles (`mr`, `dr`, `haji`, `sheikh`...).
    Title,
    /// Legal forms (`llc`, `ltd`, `jsc`, `gmbh`...).
    OrgForm,
    /// Digits.
    Number,
}

const PARTICLES: &[&str] = &[
    "al", "el", "bin", "ibn", "bint", "ben", "abu", "abou", "abd", "ul", "ur", "ud", "ad", "as",
    "ash", "an", "at", "az", "van", "der", "den", "von", "de", "da", "del", "della", "di", "do",
    "dos", "das", "du", "la", "le", "y", "e", "wa", "bte", "binti", "ould",
];
const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "prof", "sir", "haji", "hajji", "hadji", "sheikh", "shaykh",
    "shaikh", "sheik", "mullah", "mulla", "maulawi", "mawlawi", "maulvi", "mawlavi", "qari",
    "hafiz", "imam", "gen", "general", "col", "colonel", "maj", "major", "capt", "lt", "admiral",
    "jr", "sr", "ii", "iii",
];
const ORG_FORMS: &[&str] = &[
    "llc",
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "jsc",
    "ojsc",
    "cjsc",
    "pjsc",
    "ooo",
    "oao",
    "zao",
    "pao",
    "ao",
    "gmbh",
    "ag",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "plc",
    "bv",
    "nv",
    "ab",
    "as",
    "oy",
    "kg",
    "lp",
    "llp",
    "fze",
    "fzco",
    "fzc",
    "pte",
    "pvt",
    "sdn",
    "bhd",
    "tov",
    "doo",
    "group",
    "holding",
    "holdings",
    "the",
    "and",
    "of",
];

/// Classify a folded token.
pub fn classify(t: &str) -> TokenClass {
    if t.bytes().all(|b| b.is_ascii_digit()) {
        TokenClass::Number
    } else if TITLES.contains(&t) {
        TokenClass::Title
    } else if PARTICLES.contains(&t) {
        TokenClass::Particle
    } else if ORG_FORMS.contains(&t) {
        TokenClass::OrgForm
    } else {
        TokenClass::Normal
    }
}

/// Scoring weight multiplier of a class.
pub fn class_factor(c: TokenClass) -> f32 {
    match c {
        TokenClass::Normal | TokenClass::Number => 1.0,
        TokenClass::Particle => 0.35,
        TokenClass::Title => 0.15,
        TokenClass::OrgForm => 0.3,
    }
}

/// The writing system a token was transliterated from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Script {
    /// Latin (incl. accented), digits.
    Latin,
    /// Alphabets that transliterate well (Cyrillic, Greek, Armenian, Georgian...).
    Alphabet,
    /// Scripts usually written without short vowels (Arabic, Hebrew, Syriac, Thaana).
    Abjad,
    /// Han ideographs, kana (transliteration is ambiguous).
    Han,
    /// Anything else (Hangul, Thai, Indic...).
    Other,
}

fn script_of(c: char) -> Script {
    match c as u32 {
        0..=0x024F | 0x1E00..=0x1EFF => Script::Latin,
        0x0370..=0x058F | 0x10A0..=0x10FF | 0x1F00..=0x1FFF => Script::Alphabet,
        0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF => Script::Abjad,
        0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3FFFF => Script::Han,
        _ => Script::Other,
    }
}

/// The dominant (first alphabetic) script of a word.
pub fn word_script(w: &str) -> Script {
    w.chars()
        .find(|c| c.is_alphabetic())
        .map(script_of)
        .unwrap_or(Script::Latin)
}

/// Tokens with the script of the word they came from. Single letters transliterated from
/// non-Latin words (isolated Arabic letters, Hebrew prefixes) are dropped.
pub fn script_tokens(s: &str) -> Vec<(String, Script)> {
    let mut out = Vec::new();
    for word in s.split(|c: char| {
        c.is_whitespace() || c == ',' || c == ';' || c == '/' || c == '(' || c == ')'
    }) {
        if word.is_empty() {
            continue;
        }
        let script = word_script(word);
        for t in tokens(word) {
            if script != Script::Latin && t.len() == 1 && !t.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            out.push((t, script));
        }
    }
    out
}

/// Consonant key for matching vowel-less transliterations (Arabic/Hebrew) against Latin
/// spellings: the phonetic key with `w`/`v`/`y` treated as vowels, `h` and vowels dropped
/// (`mhmd`, `mohamed` → `mt`; `hsn`, `hassan` → `sn`; `dvd`, `david` → `t`).
pub fn abjad_key(t: &str) -> String {
    let k = phonetic(t);
    let mut out = String::with_capacity(k.len());
    for c in k.chars() {
        if matches!(c, 'v' | 'a' | 'h') || out.ends_with(c) {
            continue;
        }
        out.push(c);
    }
    out
}

/// Any text to ASCII: Latin letters with diacritics through the fold table every kycd name
/// check shares ([`kycd_types::text::fold_char`]: `Ž` → `Z`, `ß` → `SS`), every other script
/// transliterated by `deunicode` (`Путин` → `Putin`, `محمد` → `mhmd`); characters neither
/// knows become spaces.
pub fn to_ascii(s: &str) -> std::borrow::Cow<'_, str> {
    if s.is_ascii() {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(
                kycd_types::text::fold_char(c)
                    .or_else(|| deunicode::deunicode_char(c))
                    .unwrap_or(" "),
            );
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Transliterate to ASCII ([`to_ascii`]), lower-case, delete `.` and apostrophes inside
/// words and split on everything that is not a letter or digit.
pub fn tokens(s: &str) -> Vec<String> {
    let ascii = to_ascii(s);
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            cur.push(c.to_ascii_lowercase());
        } else if matches!(c, '.' | '\'' | '`') {
            // deleted inside words: "O'Brien" -> "obrien", "U.S." -> "us"
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The comparable form: tokens joined by one space.
pub fn comparable(s: &str) -> String {
    tokens(s).join(" ")
}

/// A coarse phonetic key for Latin tokens (consonant skeleton after folding common digraphs
/// and letter classes), e.g. `mohammed`, `muhammad`, `mohamed` → `mmt`... collapse → `mt`.
pub fn phonetic(t: &str) -> String {
    let b = t.as_bytes();
    let mut mapped: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let next = b.get(i + 1).copied();
        let (out, step) = match (c, next) {
            (b's', Some(b'c')) if b.get(i + 2) == Some(&b'h') => (b'x', 3),
            (b's' | b'c' | b'z', Some(b'h')) => (b'x', 2),
            (b'k' | b'g', Some(b'h')) => (b'h', 2),
            (b'p', Some(b'h')) => (b'f', 2),
            (b't' | b'd', Some(b'h')) => (b't', 2),
            (b'c', Some(b'k')) => (b'k', 2),
            (b'c', Some(b'e' | b'i' | b'y')) => (b's', 1),
            (b'c' | b'q' | b'k' | b'g', _) => (b'k', 1),
            (b'x', _) => (b's', 1),
            (b'z', _) => (b's', 1),
            (b'w' | b'v', _) => (b'v', 1),
            (b'd', _) => (b't', 1),
            (b'b', _) => (b'p', 1),
            (b'j', _) => (b'j', 1),
            (b'y', _) => (b'a', 1),
            (b'a' | b'e' | b'i' | b'o' | b'u', _) => (b'a', 1),
            (c, _) => (c, 1),
        };
        mapped.push(out);
        i += step;
    }
    let mut key = String::with_capacity(mapped.len());
    for (i, &c) in mapped.iter().enumerate() {
        let keep = if i == 0 { true } else { c != b'a' && c != b'h' };
        if keep && key.as_bytes().last() != Some(&c) {
            key.push(c as char);
        }
    }
    key
}

/// Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions),
/// stopping early once every cell exceeds `max` (returns `max + 1` then).
pub fn osa_distance(a: &[u8], b: &[u8], max: usize) -> usize {
    let (n, m) = (a.len(), b.len());
    if n.abs_diff(m) > max {
        return max + 1;
    }
    if n == 0 || m == 0 {
        return n.max(m);
    }
    const STACK: usize = 48;
    if m + 1 > STACK {
        return osa_heap(a, b, max);
    }
    let mut rows = [[0usize; STACK]; 3];
    let (mut p2, mut p1, mut c) = (0usize, 1usize, 2usize);
    for (j, v) in rows[p1].iter_mut().enumerate().take(m + 1) {
        *v = j;
    }
    for i in 1..=n {
        rows[c][0] = i;
        let mut row_min = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (rows[p1][j] + 1)
                .min(rows[c][j - 1] + 1)
                .min(rows[p1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(rows[p2][j - 2] + 1);
            }
            rows[c][j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        (p2, p1, c) = (p1, c, p2);
    }
    rows[p1][m]
}

fn osa_heap(a: &[u8], b: &[u8], max: usize) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut prev2 = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return max + 1;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

/// Call `f` with `t` and every string obtained by deleting one byte of `t` (ASCII tokens),
/// reusing one buffer.
pub fn for_each_deletion(t: &str, mut f: impl FnMut(&str)) {
    f(t);
    if !t.is_ascii() {
        return;
    }
    let mut buf = String::with_capacity(t.len());
    for i in 0..t.len() {
        buf.clear();
        buf.push_str(&t[..i]);
        buf.push_str(&t[i + 1..]);
        f(&buf);
    }
}

/// The typo budget of a token pair from the shorter length: exact only up to 2 characters,
/// 1 edit up to 7, 2 above.
pub fn edit_budget(len: usize) -> usize {
    match len {
        0..=2 => 0,
        3..=7 => 1,
        _ => 2,
    }
}

/// `squash(a) == squash(b)` without allocating.
pub fn squash_eq(a: &str, b: &str) -> bool {
    fn sq(s: &str) -> impl Iterator<Item = char> + '_ {
        let mut last = None;
        s.chars().filter(move |&c| {
            let keep = last != Some(c);
            last = Some(c);
            keep
        })
    }
    sq(a).eq(sq(b))
}

/// Collapse doubled letters (`essa` → `esa`, `yyu` → `yu`).
pub fn squash(t: &str) -> String {
    let mut out = String::with_capacity(t.len());
    for c in t.chars() {
        if !out.ends_with(c) {
            out.push(c);
        }
    }
    out
}

/// Similarity of two distinct tokens from their edit distance, within budget (else 0).
/// One typo in a long token stays ≥ 0.9; a typo in a short token costs more.
pub fn typo_similarity(a: &str, b: &str) -> f32 {
    if a == b {
        return 1.0;
    }
    if a.len().min(b.len()) >= 2 && squash_eq(a, b) {
        return 0.95;
    }
    let len = a.len().max(b.len());
    let budget = edit_budget(a.len().min(b.len()));
    if budget == 0 {
        return 0.0;
    }
    let d = osa_distance(a.as_bytes(), b.as_bytes(), budget);
    if d > budget {
        return 0.0;
    }
    let base = 1.0 - d as f32 / len as f32;
    // one typo in a long token stays high, in a short token it costs more
    (0.6 + 0.4 * base).min(0.97)
        - if a.as_bytes()[0] != b.as_bytes()[0] {
            0.02
        } else {
            0.0
        }
}

/// All strings obtained by deleting one byte of `t` (ASCII tokens), plus `t` itself.
pub fn deletions(t: &str) -> Vec<String> {
    let mut v = Vec::with_capacity(t.len() + 1);
    v.push(t.to_string());
    for i in 0..t.len() {
        if t.is_char_boundary(i) && t.is_char_boundary(i + 1) {
            let mut s = String::with_capacity(t.len() - 1);
            s.push_str(&t[..i]);
            s.push_str(&t[i + 1..]);
            v.push(s);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn tokenises_and_transliterates() {
        assert_eq!(
            tokens("MADURO MOROS, Nicolás"),
            vec!["maduro", "moros", "nicolas"]
        );
        assert_eq!(
            tokens("O'Brien U.S.A. al-Qaida"),
            vec!["obrien", "usa", "al", "qaida"]
        );
        assert_eq!(tokens("Владимир Путин"), vec!["vladimir", "putin"]);
        assert_eq!(comparable("  Ἀλέξανδρος "), "alexandros");
    }

    #[test]
    fn latin_folding_agrees_with_the_transliteration() {
        // the shared fold table and deunicode give the same letters for every Latin letter
        // the table knows, so routing Latin through the table changes no token
        for c in '\u{80}'..='\u{24F}' {
            if let Some(f) = kycd_types::text::fold_char(c) {
                let d: String = deunicode::deunicode_char(c)
                    .unwrap_or("")
                    .chars()
                    .filter(char::is_ascii_alphanumeric)
                    .collect();
                assert_eq!(f.to_ascii_lowercase(), d.to_ascii_lowercase(), "{c:?}");
            }
        }
        assert_eq!(
            tokens("Žaneta Müller-Lüdenscheidt ẞ"),
            ["zaneta", "muller", "ludenscheidt", "ss"]
        );
        assert_eq!(to_ascii("Владимир"), "Vladimir");
    }

    #[test]
    fn scripts() {
        let t = script_tokens("محمد ر Ivan");
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].1, Script::Abjad);
        assert_eq!(t[1], ("ivan".to_string(), Script::Latin));
        assert_eq!(abjad_key("mhmwd"), abjad_key("mahmoud"));
        assert_eq!(abjad_key("dvd"), abjad_key("david"));
        assert_eq!(abjad_key("khld"), abjad_key("khaled"));
        assert_eq!(abjad_key("hmd"), abjad_key("ahmed"));
        assert_eq!(abjad_key("hsn"), abjad_key("hassan"));
    }

    #[test]
    fn phonetic_groups() {
        assert_eq!(phonetic("mohammed"), phonetic("muhammad"));
        assert_eq!(phonetic("mohamed"), phonetic("mohammad"));
        assert_eq!(phonetic("qadhafi"), phonetic("gadafi"));
        assert_ne!(phonetic("smith"), phonetic("jones"));
    }

    #[test]
    fn distances() {
        assert_eq!(osa_distance(b"ahmed", b"ahmad", 2), 1);
        assert_eq!(osa_distance(b"ca", b"ac", 2), 1);
        assert_eq!(osa_distance(b"abcdef", b"uvwxyz", 2), 3);
        assert!(typo_similarity("putin", "poutin") >= 0.9);
        assert!(typo_similarity("ali", "aly") < 0.9);
        assert_eq!(typo_similarity("al", "el"), 0.0);
        assert_eq!(typo_similarity("essa", "esa"), 0.95);
        assert!(squash_eq("yyu", "yu") && !squash_eq("yua", "yu"));
        assert_eq!(classify("al"), TokenClass::Particle);
        assert_eq!(classify("llc"), TokenClass::OrgForm);
    }

    proptest! {
        #[test]
        fn tokens_are_ascii_lowercase(s in "\\PC{0,40}") {
            for t in tokens(&s) {
                prop_assert!(!t.is_empty());
                prop_assert!(t.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit()));
                let _ = phonetic(&t);
            }
        }

        #[test]
        fn osa_symmetric(a in "[a-e]{0,8}", b in "[a-e]{0,8}") {
            prop_assert_eq!(osa_distance(a.as_bytes(), b.as_bytes(), 9), osa_distance(b.as_bytes(), a.as_bytes(), 9));
        }

        #[test]
        fn osa_stack_equals_heap(a in "[a-d]{0,60}", b in "[a-d]{0,60}") {
            prop_assert_eq!(osa_distance(a.as_bytes(), b.as_bytes(), 70), osa_heap(a.as_bytes(), b.as_bytes(), 70));
        }

        #[test]
        fn deletions_agree(t in "[a-z]{0,12}") {
            let mut v = Vec::new();
            for_each_deletion(&t, |d| v.push(d.to_string()));
            prop_assert_eq!(v, deletions(&t));
        }
    }
}
