//! ICAO 9303 check digits (weights 7-3-1, modulo 10).

/// Value of an MRZ character for the check-digit computation: `0`-`9` → 0-9, `A`-`Z` → 10-35,
/// `<` → 0. Any other byte has no value.
#[inline]
pub const fn char_value(c: u8) -> Option<u32> {
    match c {
        b'0'..=b'9' => Some((c - b'0') as u32),
        b'A'..=b'Z' => Some((c - b'A') as u32 + 10),
        b'<' => Some(0),
        _ => None,
    }
}

const WEIGHTS: [u32; 3] = [7, 3, 1];

/// `char_value` as a lookup table (bytes outside the alphabet count 0).
static VALUES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = match char_value(i as u8) {
            Some(v) => v as u8,
            None => 0,
        };
        i += 1;
    }
    t
};

/// Weight of the character at `index` (0-based) of a checked string.
#[inline]
pub const fn weight(index: usize) -> u32 {
    WEIGHTS[index % 3]
}

/// The 7-3-1 weights repeated, so sums need no modulo in the inner loop.
static WEIGHT_RUN: [u32; 96] = {
    let mut t = [0u32; 96];
    let mut i = 0;
    while i < 96 {
        t[i] = WEIGHTS[i % 3];
        i += 1;
    }
    t
};

/// Weighted sum of `data`, with the weight sequence starting at `offset`. Bytes outside the MRZ
/// alphabet count as 0 (callers flag them separately).
#[inline]
pub fn weighted_sum(data: &[u8], offset: usize) -> u32 {
    let start = offset % 3;
    if data.len() + start <= WEIGHT_RUN.len() {
        let w = &WEIGHT_RUN[start..start + data.len()];
        data.iter()
            .zip(w)
            .map(|(&c, &w)| u32::from(VALUES[c as usize]) * w)
            .sum()
    } else {
        data.iter()
            .enumerate()
            .map(|(i, &c)| u32::from(VALUES[c as usize]) * weight(offset + i))
            .sum()
    }
}

/// The check digit (0-9) of `data`.
///
/// ```
/// assert_eq!(kycd_mrz::check_digit(b"L898902C3"), 6);
/// assert_eq!(kycd_mrz::check_digit(b"740812"), 2);
/// ```
#[inline]
pub fn check_digit(data: &[u8]) -> u8 {
    (weighted_sum(data, 0) % 10) as u8
}

/// Check digit of the concatenation of several slices (used for composite checks).
#[inline]
pub fn check_digit_of_parts(parts: &[&[u8]]) -> u8 {
    let mut offset = 0;
    let mut sum = 0;
    for p in parts {
        sum += weighted_sum(p, offset);
        offset += p.len();
    }
    (sum % 10) as u8
}

/// True when the printed check character `printed` matches `computed`. A filler `<` is accepted
/// as 0 only when `filler_ok` (optional-data check digits of empty fields).
#[inline]
pub fn matches(printed: u8, computed: u8, filler_ok: bool) -> bool {
    match printed {
        b'0'..=b'9' => printed - b'0' == computed,
        b'<' => filler_ok && computed == 0,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn icao_examples() {
        assert_eq!(check_digit(b"L898902C3"), 6);
        assert_eq!(check_digit(b"740812"), 2);
        assert_eq!(check_digit(b"120415"), 9);
        assert_eq!(check_digit(b"ZE184226B<<<<<"), 1);
        assert_eq!(check_digit(b"D23145890"), 7);
        assert_eq!(
            check_digit_of_parts(&[b"L898902C36", b"7408122", b"1204159", b"ZE184226B<<<<<1"]),
            0
        );
    }

    #[test]
    fn values() {
        assert_eq!(char_value(b'<'), Some(0));
        assert_eq!(char_value(b'Z'), Some(35));
        assert_eq!(char_value(b'a'), None);
        assert!(matches(b'<', 0, true));
        assert!(!matches(b'<', 0, false));
        assert!(!matches(b'X', 3, true));
    }
}
