//! ISO 3166-1 country table (alpha-2, alpha-3, numeric, English short name, official name).
//! The data, `countries.tsv`, was generated from the Debian `iso-codes` 4.15 data (facts only).

/// One ISO 3166-1 entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Country {
    /// Alpha-2 code, e.g. `LT`.
    pub alpha2: &'static str,
    /// Alpha-3 code, e.g. `LTU`.
    pub alpha3: &'static str,
    /// Numeric code.
    pub numeric: u16,
    /// Common English short name.
    pub name: &'static str,
    /// Official English name, when it differs.
    pub official_name: Option<&'static str>,
}

/// The table as data: one line per country, `alpha2 TAB alpha3 TAB numeric TAB name TAB official name` (the
/// official name empty when it does not differ), sorted by alpha-2 code.
const TABLE: &str = include_str!("countries.tsv");

/// Number of entries of [`TABLE`] (its lines).
const COUNT: usize = {
    let b = TABLE.as_bytes();
    let (mut i, mut n) = (0, 0);
    while i < b.len() {
        n += (b[i] == b'\n') as usize;
        i += 1;
    }
    n
};

/// All ISO 3166-1 entries, sorted by alpha-2 code.
pub static COUNTRIES: &[Country] = &parse_table();

/// `TABLE[start..end]` as a `str` (`const`: slices by splitting).
const fn cell(start: usize, end: usize) -> &'static str {
    let bytes = TABLE.as_bytes().split_at(end).0.split_at(start).1;
    match std::str::from_utf8(bytes) {
        Ok(s) => s,
        Err(_) => panic!("countries.tsv: a cell is not UTF-8"),
    }
}

/// Parses [`TABLE`] at compile time; a malformed line fails the build.
const fn parse_table() -> [Country; COUNT] {
    const EMPTY: Country = Country {
        alpha2: "",
        alpha3: "",
        numeric: 0,
        name: "",
        official_name: None,
    };
    let b = TABLE.as_bytes();
    let mut out = [EMPTY; COUNT];
    let (mut row, mut i) = (0, 0);
    while row < COUNT {
        // The five cells of this line: their bounds.
        let mut bounds = [(0usize, 0usize); 5];
        let mut col = 0;
        let mut start = i;
        loop {
            let end_of_line = b[i] == b'\n';
            if b[i] == b'\t' || end_of_line {
                assert!(col < 5, "countries.tsv: more than five cells");
                bounds[col] = (start, i);
                col += 1;
                start = i + 1;
            }
            i += 1;
            if end_of_line {
                break;
            }
        }
        assert!(col == 5, "countries.tsv: fewer than five cells");
        let mut numeric: u16 = 0;
        let mut k = bounds[2].0;
        while k < bounds[2].1 {
            assert!(b[k].is_ascii_digit(), "countries.tsv: numeric code");
            numeric = numeric * 10 + (b[k] - b'0') as u16;
            k += 1;
        }
        let (o_start, o_end) = bounds[4];
        out[row] = Country {
            alpha2: cell(bounds[0].0, bounds[0].1),
            alpha3: cell(bounds[1].0, bounds[1].1),
            numeric,
            name: cell(bounds[3].0, bounds[3].1),
            official_name: if o_end > o_start {
                Some(cell(o_start, o_end))
            } else {
                None
            },
        };
        row += 1;
    }
    out
}

/// Looks up a country by alpha-2 code (case-insensitive).
pub fn by_alpha2(code: &str) -> Option<&'static Country> {
    if code.len() != 2 {
        return None;
    }
    let up = code.to_ascii_uppercase();
    COUNTRIES
        .binary_search_by(|c| c.alpha2.cmp(up.as_str()))
        .ok()
        .map(|i| &COUNTRIES[i])
}

/// Looks up a country by alpha-3 code (case-insensitive).
pub fn by_alpha3(code: &str) -> Option<&'static Country> {
    if code.len() != 3 {
        return None;
    }
    COUNTRIES
        .iter()
        .find(|c| c.alpha3.eq_ignore_ascii_case(code))
}

/// True when `code` is an assigned ISO 3166-1 alpha-2 code (case-insensitive).
pub fn is_alpha2(code: &str) -> bool {
    by_alpha2(code).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_complete() {
        assert!(COUNTRIES.windows(2).all(|w| w[0].alpha2 < w[1].alpha2));
        assert_eq!(COUNTRIES.len(), 249);
        assert_eq!(by_alpha2("lt").unwrap().alpha3, "LTU");
        assert_eq!(by_alpha3("deu").unwrap().alpha2, "DE");
        assert!(!is_alpha2("XX"));
        assert!(!is_alpha2("UK"));
    }
}
