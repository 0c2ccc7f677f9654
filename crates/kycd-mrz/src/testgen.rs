//! Proptest strategies for valid MRZ fields of every layout (test-only).

use proptest::prelude::*;

use crate::country::COUNTRIES;
use crate::layout::MrzFormat;
use crate::model::{MrzFields, Sex};
use crate::names;

fn code() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0..COUNTRIES.len()).prop_map(|i| COUNTRIES[i].alpha3.to_string()),
        1 => prop::sample::select(vec!["D<<", "UTO", "XXA", "XXB", "XXC", "XXX", "GBD", "GBN", "UNO", "EUE", "RKS", "XOM", "XPO"])
            .prop_map(str::to_string),
    ]
}

fn word(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Z]{{1,{max}}}")).expect("regex")
}

fn words(max_words: usize, max_len: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(word(max_len), 0..=max_words).prop_map(|w| w.join(" "))
}

fn alnum(min: usize, max: usize) -> impl Strategy<Value = String> {
    // Never ending with a filler (parsing trims trailing fillers).
    proptest::string::string_regex(&format!("[A-Z0-9]{{{min},{max}}}")).expect("regex")
}

fn yymmdd() -> impl Strategy<Value = String> {
    (0u8..100, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| format!("{y:02}{m:02}{d:02}"))
}

fn sex() -> impl Strategy<Value = Sex> {
    prop::sample::select(vec![
        Sex::Male,
        Sex::Female,
        Sex::Unspecified,
        Sex::NotGiven,
    ])
}

fn doc_code(format: MrzFormat) -> BoxedStrategy<String> {
    let second = proptest::string::string_regex("[A-Z]?").expect("regex");
    match format {
        MrzFormat::Td3 => second.prop_map(|s| format!("P{s}")).boxed(),
        MrzFormat::MrvA | MrzFormat::MrvB => second.prop_map(|s| format!("V{s}")).boxed(),
        MrzFormat::Td1 | MrzFormat::Td2 => (
            prop::sample::select(vec!['I', 'A', 'C']),
            proptest::string::string_regex("[A-Z0-9]?").expect("regex"),
        )
            .prop_map(|(f, s)| format!("{f}{s}"))
            .boxed(),
        MrzFormat::FrenchId => Just("ID".to_string()).boxed(),
        MrzFormat::DrivingLicence => (0u8..10).prop_map(|d| format!("D{d}")).boxed(),
    }
}

/// Valid, renderable fields of `format` (names fit without truncation).
pub(crate) fn fields(format: MrzFormat) -> BoxedStrategy<MrzFields> {
    let long_number = matches!(format, MrzFormat::Td1 | MrzFormat::Td2);
    let doc_len = match format {
        MrzFormat::FrenchId => (12, 12),
        MrzFormat::DrivingLicence => (9, 9),
        _ => (1, 9),
    };
    let number = if long_number {
        prop_oneof![4 => alnum(doc_len.0, doc_len.1), 1 => alnum(10, 12)].boxed()
    } else {
        alnum(doc_len.0, doc_len.1).boxed()
    };
    let opt_max = match format {
        MrzFormat::Td3 => 14,
        MrzFormat::Td1 => 15,
        MrzFormat::Td2 => 7,
        MrzFormat::MrvA => 16,
        MrzFormat::MrvB => 8,
        MrzFormat::FrenchId => 6,
        MrzFormat::DrivingLicence => 0,
    };
    (
        doc_code(format),
        code(),
        code(),
        words(3, 12),
        words(3, 10),
        number,
        (yymmdd(), yymmdd()),
        sex(),
        alnum(0, opt_max),
        alnum(0, if format == MrzFormat::Td1 { 11 } else { 0 }),
    )
        .prop_map(
            move |(dc, issuing, nat, surname, given, number, (birth, expiry), sex, opt, opt2)| {
                let mut f = MrzFields::empty(format);
                f.document_code = dc.into();
                f.issuing_state = if format == MrzFormat::FrenchId {
                    "FRA".into()
                } else {
                    issuing.into()
                };
                f.document_number = number;
                f.surname = surname;
                match format {
                    MrzFormat::FrenchId => {
                        f.given_names = given;
                        f.birth_date = birth.clone().into();
                        f.sex = sex;
                        f.optional_data = opt;
                    }
                    MrzFormat::DrivingLicence => f.expiry_date = expiry.into(),
                    _ => {
                        f.given_names = given;
                        f.nationality = nat.into();
                        f.birth_date = birth.clone().into();
                        f.sex = sex;
                        f.expiry_date = expiry.into();
                        f.optional_data = opt;
                        f.optional_data_2 = opt2;
                    }
                }
                // Room for the overflow of long document numbers (rest + check digit + filler).
                if f.document_number.len() > 9 {
                    let room: usize = if format == MrzFormat::Td1 { 15 } else { 7 };
                    let used = f.document_number.len() - 9 + 1;
                    let free = room.saturating_sub(used + 1);
                    f.optional_data.truncate(free);
                }
                if f.format == MrzFormat::Td2 && f.issuing_state == "FRA" && f.document_code == "ID"
                {
                    f.issuing_state = "UTO".into(); // would look like a French ID card
                }
                while !fits(&f) {
                    let s = if f.given_names.is_empty() {
                        &mut f.surname
                    } else {
                        &mut f.given_names
                    };
                    s.pop();
                    let t = s.trim_end().to_string();
                    *s = t;
                }
                f
            },
        )
        .boxed()
}

fn fits(f: &MrzFields) -> bool {
    let w = f.format.line_len();
    match f.format {
        MrzFormat::Td1 => names::encode_icao_name(&f.surname, &f.given_names).len() <= w,
        MrzFormat::FrenchId => {
            names::encode_surname(&f.surname).len() <= 25
                && names::encode_french_given(&f.given_names).len() <= 14
        }
        MrzFormat::DrivingLicence => names::encode_surname(&f.surname).len() <= 8,
        _ => names::encode_icao_name(&f.surname, &f.given_names).len() <= w - 5,
    }
}

/// Fields of any layout.
pub(crate) fn any_fields() -> BoxedStrategy<MrzFields> {
    prop::sample::select(MrzFormat::ALL.to_vec())
        .prop_flat_map(fields)
        .boxed()
}
