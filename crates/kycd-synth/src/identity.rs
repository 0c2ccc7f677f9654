//! Random identities and their MRZ, i.e. the ground truth of a synthetic document.

use kycd_mrz::{MrzFields, MrzFormat, Sex};

use crate::error::SynthError;
use crate::rng::Rng;

/// Which document is generated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocKind {
    /// Passport data page (ID-3, 125 × 88 mm) with a two-line TD3 MRZ.
    Passport,
    /// Identity card (ID-1, 85.6 × 54 mm): front with the visual zone and portrait, back with a
    /// three-line TD1 MRZ.
    IdCard,
}

impl DocKind {
    /// Both kinds.
    pub const ALL: [DocKind; 2] = [DocKind::Passport, DocKind::IdCard];

    /// Short name (`passport`, `id-card`).
    pub fn name(self) -> &'static str {
        match self {
            DocKind::Passport => "passport",
            DocKind::IdCard => "id-card",
        }
    }

    /// MRZ layout.
    pub fn mrz_format(self) -> MrzFormat {
        match self {
            DocKind::Passport => MrzFormat::Td3,
            DocKind::IdCard => MrzFormat::Td1,
        }
    }
}

/// A calendar date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ymd {
    /// Year (four digits).
    pub year: u32,
    /// Month 1–12.
    pub month: u32,
    /// Day 1–28 (generated dates never need month lengths).
    pub day: u32,
}

impl Ymd {
    /// `YYYY-MM-DD`.
    pub fn iso(&self) -> String {
        format!("{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }

    /// MRZ form `YYMMDD`.
    pub fn yymmdd(&self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }

    fn random(rng: &mut Rng, years: (u32, u32)) -> Self {
        Self {
            year: rng.int(years.0, years.1),
            month: rng.int(1, 12),
            day: rng.int(1, 28),
        }
    }
}

/// Ground truth of one synthetic document.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// Document kind.
    pub kind: DocKind,
    /// Surname as printed (upper-case ASCII letters and spaces).
    pub surname: String,
    /// Given names as printed.
    pub given_names: String,
    /// Date of birth.
    pub birth: Ymd,
    /// Date of issue (visual zone only).
    pub issue: Ymd,
    /// Date of expiry.
    pub expiry: Ymd,
    /// `M` or `F`.
    pub sex: char,
    /// Document number.
    pub document_number: String,
    /// Issuing state (ICAO code).
    pub issuing_state: String,
    /// Nationality (ICAO code).
    pub nationality: String,
    /// Country name printed in the header.
    pub country_name: String,
    /// The MRZ fields exactly as rendered.
    pub mrz_fields: MrzFields,
    /// The MRZ lines (check digits computed by `kycd_mrz::render`).
    pub mrz_lines: Vec<String>,
}

impl Truth {
    /// Another holder on the same document: surname, given names and date of birth (the MRZ re-rendered with valid
    /// check digits). Names are upper-case ASCII letters and spaces, as printed.
    pub fn with_holder(
        mut self,
        surname: &str,
        given_names: &str,
        birth: Ymd,
    ) -> Result<Truth, SynthError> {
        self.surname = surname.to_string();
        self.given_names = given_names.to_string();
        self.birth = birth;
        self.mrz_fields.surname = self.surname.clone();
        self.mrz_fields.given_names = self.given_names.clone();
        self.mrz_fields.birth_date = self.birth.yymmdd().into();
        self.mrz_lines = kycd_mrz::render(&self.mrz_fields)?;
        Ok(self)
    }

    /// The same identity with another expiry date (the MRZ re-rendered with valid check digits).
    pub fn with_expiry(mut self, expiry: Ymd) -> Result<Truth, SynthError> {
        self.expiry = expiry;
        self.mrz_fields.expiry_date = self.expiry.yymmdd().into();
        self.mrz_lines = kycd_mrz::render(&self.mrz_fields)?;
        Ok(self)
    }

    /// The same identity with the document number's check digit off by one (an MRZ that does not validate while
    /// every field stays readable).
    pub fn with_bad_number_check_digit(mut self) -> Truth {
        // The document number's check digit: TD3 line 2 column 10; TD1 line 1 column 15.
        let (line, col) = match self.kind {
            DocKind::Passport => (1, 9),
            DocKind::IdCard => (0, 14),
        };
        if let Some(l) = self.mrz_lines.get_mut(line) {
            let mut b = l.clone().into_bytes();
            if let Some(c) = b.get_mut(col)
                && c.is_ascii_digit()
            {
                *c = b'0' + (*c - b'0' + 1) % 10;
            }
            *l = String::from_utf8(b).unwrap_or_default();
        }
        self
    }
}

const SURNAMES: &[&str] = &[
    "ERIKSSON",
    "MUELLER",
    "ROSSI",
    "GARCIA",
    "MARTIN",
    "NOWAK",
    "JANSEN",
    "KOWALSKA",
    "DUBOIS",
    "SILVA",
    "PETROV",
    "HANSEN",
    "MURPHY",
    "KAZLAUSKAS",
    "BERZINS",
    "TAMM",
    "NIEMINEN",
    "LEHMANN",
    "FERREIRA",
    "PAPADOPOULOS",
    "HORVATH",
    "NOVAK",
    "POPESCU",
    "IVANOVA",
    "SMITH",
    "JOHNSON",
    "WILLIAMS",
    "BROWN",
    "TANAKA",
    "OKAFOR",
    "MENSAH",
    "HASSAN",
    "DE LA CRUZ",
    "VAN DIJK",
    "OLSEN",
    "BAKER",
    "WEBER",
    "MORENO",
    "COSTA",
    "FISCHER",
];

const GIVEN_F: &[&str] = &[
    "ANNA", "MARIA", "SOPHIE", "EMMA", "LAURA", "ELENA", "JULIA", "CLARA", "INES", "EVA", "SARAH",
    "LINA", "NORA", "ALICE", "ROSA", "HELENA", "MARTA", "IRENE", "CHLOE", "AMELIA",
];

const GIVEN_M: &[&str] = &[
    "JOHN", "PETER", "LUCAS", "MARCO", "JAN", "THOMAS", "DAVID", "ANDREAS", "PAUL", "MIGUEL",
    "TOMAS", "HENRIK", "ADAM", "VICTOR", "OSCAR", "LEON", "FELIX", "DANIEL", "SAMUEL", "KARL",
];

const STATES: &[(&str, &str)] = &[
    ("UTO", "UTOPIA"),
    ("FRA", "FRANCE"),
    ("DEU", "GERMANY"),
    ("ITA", "ITALY"),
    ("ESP", "SPAIN"),
    ("NLD", "NETHERLANDS"),
    ("POL", "POLAND"),
    ("LTU", "LITHUANIA"),
    ("LVA", "LATVIA"),
    ("EST", "ESTONIA"),
    ("FIN", "FINLAND"),
    ("SWE", "SWEDEN"),
    ("IRL", "IRELAND"),
    ("PRT", "PORTUGAL"),
    ("GRC", "GREECE"),
    ("AUT", "AUSTRIA"),
];

fn pick_str(rng: &mut Rng, items: &[&'static str]) -> &'static str {
    rng.pick(items).copied().unwrap_or("X")
}

fn document_number(rng: &mut Rng) -> String {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPRSTUVWXYZ";
    let letter = |rng: &mut Rng| char::from(LETTERS[rng.below(LETTERS.len())]);
    let digit = |rng: &mut Rng| char::from(b'0' + rng.below(10) as u8);
    match rng.below(3) {
        // Two letters + seven digits.
        0 => {
            let mut s: String = (0..2).map(|_| letter(rng)).collect();
            s.extend((0..7).map(|_| digit(rng)));
            s
        }
        // Nine digits.
        1 => (0..9).map(|_| digit(rng)).collect(),
        // Mixed letters and digits.
        _ => (0..9)
            .map(|_| {
                if rng.chance(0.4) {
                    letter(rng)
                } else {
                    digit(rng)
                }
            })
            .collect(),
    }
}

/// A random identity and its MRZ for `kind`. Names always fit the MRZ without truncation, so the
/// MRZ and the visual zone carry the same values.
pub fn random_truth(rng: &mut Rng, kind: DocKind) -> Result<Truth, SynthError> {
    let female = rng.chance(0.5);
    let given_pool = if female { GIVEN_F } else { GIVEN_M };
    let name_room = match kind {
        DocKind::Passport => 39,
        DocKind::IdCard => 30,
    };
    let (surname, given_names) = loop {
        let surname = pick_str(rng, SURNAMES).to_string();
        let mut given = pick_str(rng, given_pool).to_string();
        if rng.chance(0.35) {
            let second = pick_str(rng, given_pool);
            if second != given {
                given = format!("{given} {second}");
            }
        }
        if surname.len() + 2 + given.len() <= name_room {
            break (surname, given);
        }
    };
    let &(state, country) = rng.pick(STATES).unwrap_or(&("UTO", "UTOPIA"));
    let nationality = if rng.chance(0.85) {
        state
    } else {
        rng.pick(STATES).map_or("UTO", |s| s.0)
    };
    let birth = Ymd::random(rng, (1950, 2005));
    let issue = Ymd::random(rng, (2018, 2025));
    let expiry = Ymd {
        year: issue.year + if kind == DocKind::Passport { 10 } else { 5 },
        ..Ymd::random(rng, (2000, 2000))
    };
    let sex = if female { 'F' } else { 'M' };
    let number = document_number(rng);

    let mut f = MrzFields::empty(kind.mrz_format());
    f.document_code = match kind {
        DocKind::Passport => "P",
        DocKind::IdCard => {
            if rng.chance(0.5) {
                "ID"
            } else {
                "I"
            }
        }
    }
    .into();
    f.issuing_state = state.into();
    f.surname = surname.clone();
    f.given_names = given_names.clone();
    f.document_number = number.clone();
    f.nationality = nationality.into();
    f.birth_date = birth.yymmdd().into();
    f.sex = if female { Sex::Female } else { Sex::Male };
    f.expiry_date = expiry.yymmdd().into();
    if rng.chance(0.5) {
        let n = rng.int(6, 11) as usize;
        f.optional_data = (0..n)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
    }
    let mrz_lines = kycd_mrz::render(&f)?;
    Ok(Truth {
        kind,
        surname,
        given_names,
        birth,
        issue,
        expiry,
        sex,
        document_number: number,
        issuing_state: state.to_string(),
        nationality: nationality.to_string(),
        country_name: country.to_string(),
        mrz_fields: f,
        mrz_lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mrz_round_trips_and_is_valid() {
        for seed in 0..200 {
            for kind in DocKind::ALL {
                let t = random_truth(&mut Rng::new(seed), kind).unwrap();
                let refs: Vec<&str> = t.mrz_lines.iter().map(String::as_str).collect();
                let m = kycd_mrz::parse(&refs).unwrap();
                assert!(m.is_valid(), "{:?}", t.mrz_lines);
                assert_eq!(m.fields, t.mrz_fields);
                assert_eq!(m.fields.surname, t.surname);
                assert_eq!(m.fields.given_names, t.given_names);
                assert_eq!(m.fields.birth_date.as_str(), t.birth.yymmdd());
                assert!(t.expiry.year > t.issue.year);
            }
        }
    }

    #[test]
    fn deterministic() {
        let a = random_truth(&mut Rng::new(7), DocKind::Passport).unwrap();
        let b = random_truth(&mut Rng::new(7), DocKind::Passport).unwrap();
        assert_eq!(a, b);
        assert_eq!(
            Ymd {
                year: 1974,
                month: 8,
                day: 2
            }
            .yymmdd(),
            "740802"
        );
    }
}
