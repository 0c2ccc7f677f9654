//! Address and name normalisation (names fold through `kycd_types::text`, addresses through
//! `deunicode` for every script): diacritics folded, case and punctuation dropped, common
//! street-type and unit abbreviations expanded (English, French, German, Spanish, Italian, Polish,
//! Lithuanian), postcodes compacted, and the result split into number tokens (compared strictly)
//! and word tokens (compared as a set, so word order does not matter).

use std::collections::BTreeSet;

/// Folds diacritics and typographic punctuation to ASCII, lower-case.
pub fn fold(s: &str) -> String {
    deunicode::deunicode(s).to_lowercase()
}

/// Expands one lower-case ASCII word (without punctuation) to its canonical long form.
pub fn expand_abbreviation(w: &str) -> &str {
    match w {
        "st" | "str" => "street",
        "rd" => "road",
        "ave" | "av" | "avda" | "avenida" => "avenue",
        "blvd" | "bd" | "boul" | "bvd" => "boulevard",
        "dr" | "drv" => "drive",
        "ln" => "lane",
        "ct" | "crt" => "court",
        "pl" => "place",
        "sq" => "square",
        "hwy" => "highway",
        "pkwy" | "pky" => "parkway",
        "cres" | "cr" => "crescent",
        "ter" | "terr" => "terrace",
        "cir" => "circle",
        "mt" => "mount",
        "ft" => "fort",
        "apt" | "appt" | "apartment" | "apartement" | "flat" | "unit" | "ap" | "apto" | "butas" => {
            "apartment"
        }
        "ste" | "suite" => "suite",
        "fl" | "flr" => "floor",
        "bldg" | "bld" => "building",
        "n" => "north",
        "s" => "south",
        "e" => "east",
        "w" => "west",
        "ne" => "northeast",
        "nw" => "northwest",
        "se" => "southeast",
        "sw" => "southwest",
        "rte" => "route",
        "strasse" | "strase" => "street",
        "g" | "gatve" => "street",
        "ul" | "ulica" => "street",
        "via" | "v" => "via",
        "calle" | "c" => "street",
        "pr" | "prosp" | "prospektas" => "avenue",
        "al" | "aleja" | "aleje" => "avenue",
        "chem" => "chemin",
        "imp" => "impasse",
        "fbg" => "faubourg",
        "pmb" => "pmb",
        "po" => "po",
        _ => w,
    }
}

/// Words that carry no address information ("no." in "No. 12", articles of French street names).
fn is_filler(w: &str) -> bool {
    matches!(
        w,
        "no" | "nr"
            | "number"
            | "num"
            | "de"
            | "du"
            | "des"
            | "la"
            | "le"
            | "les"
            | "l"
            | "d"
            | "of"
            | "the"
            | "and"
            | "et"
            | "y"
            | "del"
            | "der"
            | "die"
            | "das"
            | "di"
            | "da"
    )
}

/// Country names and codes that one side of a comparison may simply omit.
pub fn is_country_word(w: &str) -> bool {
    matches!(
        w,
        "usa"
            | "us"
            | "united"
            | "states"
            | "america"
            | "canada"
            | "ca"
            | "france"
            | "fr"
            | "uk"
            | "gb"
            | "kingdom"
            | "great"
            | "britain"
            | "england"
            | "germany"
            | "deutschland"
            | "de"
            | "spain"
            | "espana"
            | "italy"
            | "italia"
            | "lithuania"
            | "lietuva"
            | "lt"
            | "poland"
            | "polska"
            | "pl"
            | "latvia"
            | "latvija"
            | "lv"
            | "estonia"
            | "eesti"
            | "ee"
            | "netherlands"
            | "nederland"
            | "nl"
            | "belgium"
            | "belgique"
            | "be"
            | "ireland"
            | "ie"
            | "portugal"
            | "pt"
            | "austria"
            | "osterreich"
            | "at"
            | "switzerland"
            | "suisse"
            | "schweiz"
            | "ch"
    )
}

/// A normalised address: strict tokens and fuzzy words.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AddressTokens {
    /// Tokens containing a digit (house numbers, unit numbers, postcodes), compacted and sorted.
    pub numbers: Vec<String>,
    /// Canonical word tokens (no digits), as a set.
    pub words: BTreeSet<String>,
}

/// Splits a folded string into alphanumeric tokens. Postcodes written with an inner space
/// (`M6P 3K9`, `SW1A 1AA`) are joined; `12-14` and `18101-1175` keep their parts together.
fn raw_tokens(folded: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = folded.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        let joins_numbers = c == '-'
            && !cur.is_empty()
            && cur.chars().all(|c| c.is_ascii_digit())
            && chars.get(i + 1).is_some_and(char::is_ascii_digit);
        if c.is_ascii_alphanumeric() || joins_numbers {
            cur.push(c);
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    // Join Canadian/UK postcode halves: "m6p" + "3k9", "sw1a" + "1aa".
    let mut joined: Vec<String> = Vec::with_capacity(out.len());
    let mut i = 0;
    while i < out.len() {
        if i + 1 < out.len() && is_postcode_half_pair(&out[i], &out[i + 1]) {
            joined.push(format!("{}{}", out[i], out[i + 1]));
            i += 2;
        } else {
            joined.push(out[i].clone());
            i += 1;
        }
    }
    joined
}

fn is_postcode_half_pair(a: &str, b: &str) -> bool {
    let alnum_mix = |s: &str| {
        s.chars().any(|c| c.is_ascii_digit()) && s.chars().any(|c| c.is_ascii_alphabetic())
    };
    let ab: Vec<char> = b.chars().collect();
    // Inward code: digit letter letter (UK) or digit letter digit (CA).
    let inward = ab.len() == 3
        && ab[0].is_ascii_digit()
        && ab[1].is_ascii_alphabetic()
        && (ab[2].is_ascii_alphabetic() || ab[2].is_ascii_digit());
    (2..=4).contains(&a.len())
        && alnum_mix(a)
        && a.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && inward
}

/// Splits a house number glued to the next word by OCR (`42willow` → `42`, `willow`); short
/// suffixes (`4b`, `9th`, `15a`) stay attached.
fn split_glued(t: String) -> Vec<String> {
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    let rest = &t[digits..];
    if digits > 0 && rest.len() >= 3 && rest.chars().all(|c| c.is_ascii_alphabetic()) {
        vec![t[..digits].to_string(), rest.to_string()]
    } else {
        vec![t]
    }
}

/// Normalises an address to tokens.
pub fn address_tokens(s: &str) -> AddressTokens {
    let folded = fold(s);
    let mut numbers = Vec::new();
    let mut words = BTreeSet::new();
    for t in raw_tokens(&folded).into_iter().flat_map(split_glued) {
        if t.chars().any(|c| c.is_ascii_digit()) {
            numbers.push(t);
        } else {
            let w = expand_abbreviation(&t);
            if !is_filler(w) {
                words.insert(w.to_string());
            }
        }
    }
    numbers.sort();
    AddressTokens { numbers, words }
}

/// Normalises a person's name to sorted lower-case word tokens, titles dropped. Latin letters are
/// folded by the table every kycd check shares ([`kycd_types::text::fold_char`], so the bill and
/// the document agree on what `Ž` is); letters of other scripts (a Cyrillic or Greek bill) are
/// transliterated first, so that they still give tokens to compare with the document's Latin
/// (MRZ) spelling.
pub fn name_tokens(s: &str) -> Vec<String> {
    let mut latin = String::with_capacity(s.len());
    for c in s.chars() {
        match deunicode::deunicode_char(c) {
            Some(t) if c.is_alphabetic() && kycd_types::text::fold_char(c).is_none() => {
                latin.push_str(t)
            }
            _ => latin.push(c),
        }
    }
    let mut out: Vec<String> = kycd_types::text::name_tokens(&latin)
        .into_iter()
        .map(|t| t.to_ascii_lowercase())
        .filter(|w| {
            !matches!(
                w.as_str(),
                "mr" | "mrs"
                    | "ms"
                    | "miss"
                    | "dr"
                    | "m"
                    | "mme"
                    | "mlle"
                    | "herr"
                    | "frau"
                    | "sr"
                    | "sra"
                    | "pan"
                    | "pani"
                    | "ponas"
                    | "ponia"
            )
        })
        .collect();
    out.sort();
    out
}

pub use kycd_types::text::edit_distance;

/// Whether two words are the same allowing one OCR error in words of five letters or more.
pub fn word_close(a: &str, b: &str) -> bool {
    a == b || (a.len().min(b.len()) >= 5 && edit_distance(a, b) <= 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn abbreviations_case_and_punctuation() {
        let a = address_tokens("123 Main St., Apt 4B, Anytown, PA 18062");
        let b = address_tokens("123 MAIN STREET APARTMENT 4b ANYTOWN PA 18062");
        assert_eq!(a, b);
        assert_eq!(a.numbers, vec!["123", "18062", "4b"]);
        assert_eq!(
            address_tokens("42WILLOW LANE"),
            address_tokens("42 Willow Ln")
        );
    }

    #[test]
    fn diacritics_and_apostrophes() {
        let a = address_tokens("12 AVENUE DES RÊVES, 75000 PARIS");
        let b = address_tokens("12 av. des Reves 75000 Paris");
        assert_eq!(a, b);
        let c = address_tokens("123 RUE DE L’IMAGINAIRE 75001 PARIS");
        assert!(c.words.contains("imaginaire"), "{c:?}");
    }

    #[test]
    fn postcodes_are_compacted() {
        let a = address_tokens("1954 Bloor Street West, Toronto, ON, M6P 3K9, Canada");
        assert_eq!(a.numbers, vec!["1954", "m6p3k9"]);
        let uk = address_tokens("10 Downing St, London SW1A 2AA");
        assert!(uk.numbers.contains(&"sw1a2aa".to_string()), "{uk:?}");
        let zip4 = address_tokens("Allentown, PA 18101-1175");
        assert_eq!(zip4.numbers, vec!["18101-1175"]);
    }

    #[test]
    fn names_drop_titles_and_sort() {
        assert_eq!(name_tokens("Mr. John DOE"), vec!["doe", "john"]);
        assert_eq!(name_tokens("Doe, Jöhn"), vec!["doe", "john"]);
        assert_eq!(
            name_tokens("Žaneta O’Brien-Straße"),
            ["brien", "o", "strasse", "zaneta"]
        );
        assert_eq!(name_tokens("Иван Петров"), ["ivan", "petrov"]);
    }

    #[test]
    fn distance() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert!(word_close("anytown", "anyt0wn"));
        assert!(!word_close("main", "mail"));
    }

    fn street_word() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec![
            "Main", "Oak", "Elm", "Bloor", "Market", "Hausman", "Rêves", "Gedimino", "Łąkowa",
        ])
    }

    fn street_type() -> impl Strategy<Value = (&'static str, &'static str)> {
        prop::sample::select(vec![
            ("St", "Street"),
            ("Rd", "Road"),
            ("Ave", "Avenue"),
            ("Blvd", "Boulevard"),
            ("Dr", "Drive"),
            ("Ln", "Lane"),
        ])
    }

    proptest! {
        #[test]
        fn never_panics(s in ".{0,200}") {
            let _ = address_tokens(&s);
            let _ = name_tokens(&s);
        }

        #[test]
        fn case_punctuation_and_abbreviation_invariant(
            num in 1u32..99_999, word in street_word(), (short, long) in street_type(),
            zip in 10_000u32..99_999, upper in any::<bool>(), punct in prop::sample::select(vec![",", ", ", " ; ", " - ", "  "]),
        ) {
            let a = format!("{num} {word} {short}.{punct}Springfield{punct}{zip}");
            let mut b = format!("{num} {word} {long} Springfield {zip}");
            if upper { b = b.to_uppercase(); }
            prop_assert_eq!(address_tokens(&a), address_tokens(&b));
        }

        #[test]
        fn word_order_does_not_matter(words in prop::collection::vec("[a-z]{3,9}", 1..6), num in 1u32..9999) {
            let fwd = format!("{num} {}", words.join(" "));
            let mut rev = words.clone();
            rev.reverse();
            let bwd = format!("{} {num}", rev.join(", "));
            prop_assert_eq!(address_tokens(&fwd), address_tokens(&bwd));
        }

        #[test]
        fn house_numbers_are_kept_exactly(a in 1u32..100_000, b in 1u32..100_000) {
            let ta = address_tokens(&format!("{a} Main Street"));
            let tb = address_tokens(&format!("{b} Main Street"));
            prop_assert_eq!(ta.numbers == tb.numbers, a == b);
        }
    }
}
