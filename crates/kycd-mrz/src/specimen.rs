//! The specimen MRZs of ICAO Doc 9303 (fictitious state `UTO`, holder Anna Maria Eriksson), for tests,
//! examples and benches of this crate and the crates that read documents.

/// The TD3 (passport) specimen of Doc 9303 Part 4.
pub const TD3: [&str; 2] = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
];

/// The TD1 (identity card) specimen of Doc 9303 Part 5.
pub const TD1: [&str; 3] = [
    "I<UTOD231458907<<<<<<<<<<<<<<<",
    "7408122F1204159UTO<<<<<<<<<<<6",
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<",
];

#[cfg(test)]
mod tests {
    #[test]
    fn specimens_are_valid() {
        assert!(crate::parse(&super::TD3).unwrap().is_valid());
        assert!(crate::parse(&super::TD1).unwrap().is_valid());
    }
}
