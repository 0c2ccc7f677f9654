//! ICAO 9303 nationality / issuing-state codes → ISO 3166-1 alpha-2.
//!
//! ICAO uses the ISO 3166-1 alpha-3 codes plus a few codes of its own (ICAO 9303 part 3):
//! `D` for Germany, the British nationality classes `GBD`/`GBN`/`GBO`/`GBP`/`GBS`, organisations
//! (`UNO`, `UNA`, `XPO`, `XOM`, `EUE`, ...), `UNK`/`RKS` for Kosovo and the `XXA`/`XXB`/`XXC`/`XXX`
//! statelessness / refugee markers. [`resolve_code`] classifies a printed 3-character code.

use std::sync::OnceLock;

use crate::country::{self, Country};

/// How a printed code was recognised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum CodeKind {
    /// An ISO 3166-1 alpha-3 code.
    Iso3166,
    /// An ICAO-specific code (see [`SpecialCode`]).
    IcaoSpecial,
    /// A withdrawn ISO alpha-3 code still found on old documents (`ROM`, `ZAR`, `TMP`).
    Legacy,
    /// A non-standard two-letter code padded with a filler (e.g. `SI<` on an old Slovenian card).
    Alpha2Padded,
    /// Not recognised.
    Unknown,
}

/// An ICAO special code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpecialCode {
    /// The code without fillers.
    pub code: &'static str,
    /// The ISO 3166-1 alpha-2 code of the related state, when there is one.
    pub alpha2: Option<&'static str>,
    /// What the code stands for.
    pub description: &'static str,
}

const fn sp(
    code: &'static str,
    alpha2: Option<&'static str>,
    description: &'static str,
) -> SpecialCode {
    SpecialCode {
        code,
        alpha2,
        description,
    }
}

/// ICAO 9303 codes that are not ISO 3166-1 alpha-3 codes (sorted by code).
#[rustfmt::skip]
pub static SPECIAL_CODES: &[SpecialCode] = &[
    sp("D", Some("DE"), "Germany"),
    sp("EUE", None, "European Union"),
    sp("GBD", Some("GB"), "British Overseas Territories Citizen"),
    sp("GBN", Some("GB"), "British National (Overseas)"),
    sp("GBO", Some("GB"), "British Overseas Citizen"),
    sp("GBP", Some("GB"), "British Protected Person"),
    sp("GBS", Some("GB"), "British Subject"),
    sp("RKS", None, "Kosovo"),
    sp("UNA", None, "Specialized agency of the United Nations or one of its officials"),
    sp("UNK", None, "Resident of Kosovo with a travel document issued by UNMIK"),
    sp("UNO", None, "United Nations Organization or one of its officials"),
    sp("UTO", None, "Utopia (fictitious state of the ICAO 9303 specimens)"),
    sp("XBA", None, "African Development Bank"),
    sp("XCC", None, "Caribbean Community (CARICOM)"),
    sp("XCE", None, "Council of Europe"),
    sp("XCO", None, "Common Market for Eastern and Southern Africa (COMESA)"),
    sp("XDC", None, "Southern African Development Community (SADC)"),
    sp("XEC", None, "Economic Community of West African States (ECOWAS)"),
    sp("XES", None, "Organisation of Eastern Caribbean States (OECS)"),
    sp("XIM", None, "African Export-Import Bank (Afreximbank)"),
    sp("XOM", None, "Sovereign Military Order of Malta"),
    sp("XPO", None, "International Criminal Police Organization (INTERPOL)"),
    sp("XXA", None, "Stateless person (1954 Convention)"),
    sp("XXB", None, "Refugee (1951 Convention / 1967 Protocol)"),
    sp("XXC", None, "Refugee (other than XXB)"),
    sp("XXX", None, "Person of unspecified nationality"),
];

/// Withdrawn ISO alpha-3 codes → current alpha-2.
static LEGACY: &[(&str, &str)] = &[("ROM", "RO"), ("TMP", "TL"), ("ZAR", "CD")];

/// A classified ICAO code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeInfo {
    /// How the code was recognised.
    pub kind: CodeKind,
    /// ISO 3166-1 alpha-2, when one exists.
    pub alpha2: Option<&'static str>,
    /// The ISO 3166-1 entry, for ISO / legacy / padded alpha-2 codes.
    pub country: Option<&'static Country>,
    /// The special-code entry, for [`CodeKind::IcaoSpecial`].
    pub special: Option<&'static SpecialCode>,
}

impl CodeInfo {
    const UNKNOWN: CodeInfo = CodeInfo {
        kind: CodeKind::Unknown,
        alpha2: None,
        country: None,
        special: None,
    };

    /// Human-readable name (country name or special-code description).
    pub fn name(&self) -> Option<&'static str> {
        self.special
            .map(|s| s.description)
            .or(self.country.map(|c| c.name))
    }
}

/// Looks up a special code (fillers ignored).
pub fn special_code(code: &str) -> Option<&'static SpecialCode> {
    let code = code.trim_end_matches('<');
    SPECIAL_CODES
        .binary_search_by(|s| s.code.cmp(code))
        .ok()
        .map(|i| &SPECIAL_CODES[i])
}

/// Classifies an ICAO code as printed in the MRZ (3 characters, trailing fillers allowed:
/// `D<<`, `UTO`, `SI<`).
///
/// ```
/// use kycd_mrz::icao::{resolve_code, CodeKind};
/// assert_eq!(resolve_code("LTU").alpha2, Some("LT"));
/// assert_eq!(resolve_code("D<<").alpha2, Some("DE"));
/// assert_eq!(resolve_code("XXA").kind, CodeKind::IcaoSpecial);
/// assert_eq!(resolve_code("XXA").alpha2, None);
/// ```
pub fn resolve_code(code: &str) -> CodeInfo {
    let trimmed = code.trim_end_matches('<');
    if trimmed.is_empty() || !trimmed.bytes().all(|b| b.is_ascii_uppercase()) {
        return CodeInfo::UNKNOWN;
    }
    if let Some(s) = special_code(trimmed) {
        let country = s.alpha2.and_then(country::by_alpha2);
        return CodeInfo {
            kind: CodeKind::IcaoSpecial,
            alpha2: s.alpha2,
            country,
            special: Some(s),
        };
    }
    if trimmed.len() == 3 {
        if let Some(c) = iso_alpha3(trimmed.as_bytes()) {
            return CodeInfo {
                kind: CodeKind::Iso3166,
                alpha2: Some(c.alpha2),
                country: Some(c),
                special: None,
            };
        }
        if let Some(&(_, a2)) = LEGACY.iter().find(|(l, _)| *l == trimmed) {
            let c = country::by_alpha2(a2);
            return CodeInfo {
                kind: CodeKind::Legacy,
                alpha2: c.map(|c| c.alpha2),
                country: c,
                special: None,
            };
        }
    }
    if trimmed.len() == 2
        && code.len() == 3
        && let Some(c) = country::by_alpha2(trimmed)
    {
        return CodeInfo {
            kind: CodeKind::Alpha2Padded,
            alpha2: Some(c.alpha2),
            country: Some(c),
            special: None,
        };
    }
    CodeInfo::UNKNOWN
}

/// ICAO code → ISO 3166-1 alpha-2, `None` for unknown codes and special codes without a state.
pub fn icao_to_alpha2(code: &str) -> Option<&'static str> {
    resolve_code(code).alpha2
}

/// The ISO table sorted by alpha-3 code, for binary search.
fn by_alpha3_sorted() -> &'static [([u8; 3], &'static Country)] {
    static CODES: OnceLock<Vec<([u8; 3], &'static Country)>> = OnceLock::new();
    CODES.get_or_init(|| {
        let mut v: Vec<([u8; 3], &'static Country)> = country::COUNTRIES
            .iter()
            .filter_map(|c| {
                <[u8; 3]>::try_from(c.alpha3.as_bytes())
                    .ok()
                    .map(|k| (k, c))
            })
            .collect();
        v.sort_unstable_by_key(|e| e.0);
        v
    })
}

fn iso_alpha3(code: &[u8]) -> Option<&'static Country> {
    let key = <[u8; 3]>::try_from(code).ok()?;
    let table = by_alpha3_sorted();
    table
        .binary_search_by_key(&key, |e| e.0)
        .ok()
        .map(|i| table[i].1)
}

/// True when `code` (3 bytes as printed) is a recognised code of any kind.
pub fn is_known_code(code: &[u8]) -> bool {
    let Ok(c) = <[u8; 3]>::try_from(code) else {
        return false;
    };
    if iso_alpha3(&c).is_some() {
        return true;
    }
    std::str::from_utf8(code)
        .map(|s| resolve_code(s).kind != CodeKind::Unknown)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn special_table_sorted() {
        assert!(SPECIAL_CODES.windows(2).all(|w| w[0].code < w[1].code));
    }

    #[test]
    fn resolutions() {
        assert_eq!(resolve_code("UTO").kind, CodeKind::IcaoSpecial);
        assert_eq!(resolve_code("GBD").alpha2, Some("GB"));
        assert_eq!(resolve_code("GBR").alpha2, Some("GB"));
        assert_eq!(resolve_code("RKS").alpha2, None);
        assert_eq!(resolve_code("RKS").name(), Some("Kosovo"));
        assert_eq!(resolve_code("EUE").kind, CodeKind::IcaoSpecial);
        assert_eq!(resolve_code("SI<").kind, CodeKind::Alpha2Padded);
        assert_eq!(resolve_code("SI<").alpha2, Some("SI"));
        assert_eq!(resolve_code("ROM").alpha2, Some("RO"));
        assert_eq!(resolve_code("BDR").kind, CodeKind::Unknown);
        assert_eq!(resolve_code("UT0").kind, CodeKind::Unknown);
        assert_eq!(resolve_code("<<<").kind, CodeKind::Unknown);
        assert!(is_known_code(b"XOM"));
        assert!(is_known_code(b"D<<"));
        assert!(!is_known_code(b"D<D"));
    }
}
