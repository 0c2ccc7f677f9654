//! Country name / code → ISO 3166-1 alpha-2, using the ISO table of `kycd-mrz` plus a table of
//! list-specific spellings (UN, OFAC remarks, demonyms, older names).

use std::sync::OnceLock;

use kycd_mrz::country::{COUNTRIES, by_alpha2, by_alpha3};
use rustc_hash::FxHashMap;

/// Spellings used by the lists (and by synthetic benchmark data) that the ISO table lacks.
/// Keys are compared after [`normalise_key`].
const VARIANTS: &[(&str, &str)] = &[
    ("iran islamic republic of", "IR"),
    ("iran islamic republic", "IR"),
    ("iranian", "IR"),
    ("russia", "RU"),
    ("russian", "RU"),
    ("ussr", "SU"),
    ("soviet union", "SU"),
    ("united kingdom of great britain and northern ireland", "GB"),
    ("great britain", "GB"),
    ("britain", "GB"),
    ("uk", "GB"),
    ("british", "GB"),
    ("england", "GB"),
    ("democratic peoples republic of korea", "KP"),
    ("korea north", "KP"),
    ("north korean", "KP"),
    ("dprk", "KP"),
    ("korea south", "KR"),
    ("republic of korea", "KR"),
    ("korea republic of", "KR"),
    ("democratic republic of the congo", "CD"),
    ("congo democratic republic of the", "CD"),
    ("drc", "CD"),
    ("congo kinshasa", "CD"),
    ("republic of the congo", "CG"),
    ("congo brazzaville", "CG"),
    ("syrian arab republic", "SY"),
    ("syrian", "SY"),
    ("united republic of tanzania", "TZ"),
    ("turkiye", "TR"),
    ("turkey", "TR"),
    ("turkish", "TR"),
    ("state of palestine", "PS"),
    ("palestine", "PS"),
    ("palestinian", "PS"),
    ("palestinian territories", "PS"),
    ("west bank", "PS"),
    ("gaza", "PS"),
    ("united states of america", "US"),
    ("usa", "US"),
    ("us", "US"),
    ("american", "US"),
    ("burma", "MM"),
    ("brunei", "BN"),
    ("ivory coast", "CI"),
    ("cote divoire", "CI"),
    ("czech republic", "CZ"),
    ("macedonia", "MK"),
    ("north macedonia the republic of", "MK"),
    ("the former yugoslav republic of macedonia", "MK"),
    ("viet nam", "VN"),
    ("lao peoples democratic republic", "LA"),
    ("vatican", "VA"),
    ("holy see", "VA"),
    ("swaziland", "SZ"),
    ("cape verde", "CV"),
    ("east timor", "TL"),
    ("yugoslavia", "YU"),
    ("serbia and montenegro", "CS"),
    ("kosovo", "XK"),
    ("bolivia plurinational state of", "BO"),
    ("venezuela bolivarian republic of", "VE"),
    ("moldova republic of", "MD"),
    ("micronesia", "FM"),
    ("tanzania united republic of", "TZ"),
    ("taiwan province of china", "TW"),
    ("hong kong sar", "HK"),
    ("macau", "MO"),
    ("afghan", "AF"),
    ("iraqi", "IQ"),
    ("egyptian", "EG"),
    ("saudi", "SA"),
    ("yemeni", "YE"),
    ("pakistani", "PK"),
    ("libyan", "LY"),
    ("lebanese", "LB"),
    ("jordanian", "JO"),
    ("chinese", "CN"),
    ("venezuelan", "VE"),
    ("cuban", "CU"),
    ("belarusian", "BY"),
    ("ukrainian", "UA"),
    ("german", "DE"),
    ("french", "FR"),
    ("somali", "SO"),
    ("sudanese", "SD"),
    ("nigerian", "NG"),
    ("kuwaiti", "KW"),
    ("qatari", "QA"),
    ("emirati", "AE"),
    ("uae", "AE"),
    ("mexican", "MX"),
    ("colombian", "CO"),
    ("indian", "IN"),
    ("indonesian", "ID"),
    ("filipino", "PH"),
    ("algerian", "DZ"),
    ("tunisian", "TN"),
    ("moroccan", "MA"),
];

/// Lower-case ASCII, letters and single spaces only, without a leading `the`
/// (`Côte d'Ivoire` → `cote divoire`): the name form of [`crate::normalise::comparable`].
pub fn normalise_key(s: &str) -> String {
    let key = crate::normalise::comparable(s);
    match key.strip_prefix("the ") {
        Some(rest) => rest.to_string(),
        None => key,
    }
}

fn table() -> &'static FxHashMap<String, &'static str> {
    static TABLE: OnceLock<FxHashMap<String, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut m: FxHashMap<String, &'static str> = FxHashMap::default();
        let mut ambiguous: Vec<String> = Vec::new();
        let mut add = |m: &mut FxHashMap<String, &'static str>, k: String, code: &'static str| {
            if k.is_empty() {
                return;
            }
            match m.get(&k) {
                Some(&c) if c != code => ambiguous.push(k),
                Some(_) => {}
                None => {
                    m.insert(k, code);
                }
            }
        };
        for c in COUNTRIES {
            add(&mut m, normalise_key(c.name), c.alpha2);
            if let Some(o) = c.official_name {
                add(&mut m, normalise_key(o), c.alpha2);
            }
            // "Congo, The Democratic Republic of the" -> "the democratic republic of the congo"
            if let Some((head, tail)) = c.name.split_once(", ") {
                add(&mut m, normalise_key(&format!("{tail} {head}")), c.alpha2);
                add(&mut m, normalise_key(head), c.alpha2);
            }
            if let Some((head, _)) = c.name.split_once(" (") {
                add(&mut m, normalise_key(head), c.alpha2);
            }
        }
        for k in ambiguous {
            m.remove(&k);
        }
        for (k, code) in VARIANTS {
            m.insert(normalise_key(k), code);
        }
        m
    })
}

/// Map a country name, demonym, alpha-2 or alpha-3 code to an upper-case alpha-2 code.
/// Returns `None` for unknown values and for placeholders such as `na` / `unknown`.
pub fn to_alpha2(value: &str) -> Option<&'static str> {
    let v = value.trim();
    if v.is_empty() {
        return None;
    }
    if v.len() == 2 && v.chars().all(|c| c.is_ascii_alphabetic()) {
        if let Some(c) = by_alpha2(v) {
            return Some(c.alpha2);
        }
        // codes in use by lists but not ISO-assigned
        return match v.to_ascii_uppercase().as_str() {
            "XK" => Some("XK"),
            "SU" => Some("SU"),
            "YU" => Some("YU"),
            "CS" => Some("CS"),
            "UK" => Some("GB"),
            _ => None,
        };
    }
    if v.len() == 3
        && v.chars().all(|c| c.is_ascii_alphabetic())
        && let Some(c) = by_alpha3(v)
    {
        return Some(c.alpha2);
    }
    let key = normalise_key(v);
    table().get(&key).copied()
}

/// Extra overlap between historical and current territories (`SU` covers `RU`, `UA`...).
pub fn territories_overlap(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    const GROUPS: &[(&str, &[&str])] = &[
        (
            "SU",
            &[
                "RU", "UA", "BY", "KZ", "UZ", "TJ", "KG", "TM", "AZ", "AM", "GE", "MD", "LT", "LV",
                "EE",
            ],
        ),
        ("YU", &["RS", "ME", "XK", "BA", "HR", "SI", "MK"]),
        ("CS", &["RS", "ME", "XK"]),
    ];
    GROUPS
        .iter()
        .any(|(old, new)| (a == *old && new.contains(&b)) || (b == *old && new.contains(&a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_list_spellings() {
        assert_eq!(to_alpha2("Iran (Islamic Republic of)"), Some("IR"));
        assert_eq!(
            to_alpha2("Democratic People's Republic of Korea"),
            Some("KP")
        );
        assert_eq!(to_alpha2("Democratic Republic of the Congo"), Some("CD"));
        assert_eq!(
            to_alpha2("United Kingdom of Great Britain and Northern Ireland"),
            Some("GB")
        );
        assert_eq!(to_alpha2("Türkiye"), Some("TR"));
        assert_eq!(to_alpha2("State of Palestine"), Some("PS"));
        assert_eq!(to_alpha2("Russian Federation"), Some("RU"));
        assert_eq!(to_alpha2("Syrian Arab Republic"), Some("SY"));
        assert_eq!(to_alpha2("Korea, North"), Some("KP"));
        assert_eq!(to_alpha2("af"), Some("AF"));
        assert_eq!(to_alpha2("AFG"), Some("AF"));
        assert_eq!(to_alpha2("Chile"), Some("CL"));
        assert_eq!(to_alpha2("NA"), Some("NA"));
        assert_eq!(to_alpha2(""), None);
        assert_eq!(to_alpha2("Atlantis"), None);
    }

    #[test]
    fn overlap() {
        assert!(territories_overlap("SU", "RU"));
        assert!(territories_overlap("RU", "SU"));
        assert!(!territories_overlap("RU", "UA"));
    }
}
