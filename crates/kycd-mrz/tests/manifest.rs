//! Ground-truth MRZ texts of `shared/data/documents/manifest.json` (read at test time).

use std::collections::BTreeSet;

use kycd_mrz::{
    CheckedField, Date, Mrz, MrzFormat, ParseOptions, RepairStatus, Sex, find_in_text,
    parse_with_options, parse_with_repair,
};
use serde_json::Value;

const MANIFEST: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../../shared/data/documents/manifest.json"
);

struct Block {
    file: String,
    format: MrzFormat,
    lines: Vec<String>,
    parsed: serde_json::Map<String, Value>,
    checks: serde_json::Map<String, Value>,
    all_valid: bool,
}

fn format_of(s: &str) -> MrzFormat {
    match s {
        "TD1" => MrzFormat::Td1,
        "TD2" => MrzFormat::Td2,
        "TD3" => MrzFormat::Td3,
        "MRVA" => MrzFormat::MrvA,
        "MRVB" => MrzFormat::MrvB,
        s if s.starts_with("FRA_CNI") => MrzFormat::FrenchId,
        s if s.starts_with("DL_1x30") => MrzFormat::DrivingLicence,
        other => panic!("unknown format in manifest: {other}"),
    }
}

fn blocks() -> Vec<Block> {
    let text = std::fs::read_to_string(MANIFEST).expect("manifest readable");
    let v: Value = serde_json::from_str(&text).expect("manifest is JSON");
    let mut out = Vec::new();
    for f in v["files"].as_array().expect("files") {
        for m in f["mrz"].as_array().expect("mrz list") {
            out.push(Block {
                file: f["file"].as_str().expect("file").to_string(),
                format: format_of(m["format"].as_str().expect("format")),
                lines: m["lines"]
                    .as_array()
                    .expect("lines")
                    .iter()
                    .map(|l| l.as_str().expect("line").to_string())
                    .collect(),
                parsed: m["parsed"].as_object().expect("parsed").clone(),
                checks: m["check_digits_valid"].as_object().expect("checks").clone(),
                all_valid: m["all_check_digits_valid"]
                    .as_bool()
                    .expect("all valid flag"),
            });
        }
    }
    out
}

fn opts() -> ParseOptions {
    ParseOptions::with_reference_date(Date::new(2026, 1, 1).expect("date"))
}

fn parse_block(b: &Block) -> Mrz {
    let refs: Vec<&str> = b.lines.iter().map(|s| s.as_str()).collect();
    parse_with_options(&refs, &opts()).unwrap_or_else(|e| panic!("{}: {e}", b.file))
}

fn checked_field(key: &str) -> CheckedField {
    let base = key.split('(').next().expect("key");
    match base {
        "document_number" => CheckedField::DocumentNumber,
        "date_of_birth" => CheckedField::BirthDate,
        "date_of_expiry" => CheckedField::ExpiryDate,
        "optional_data" => CheckedField::OptionalData,
        "composite" | "line_check_over_first_29" => CheckedField::Composite,
        other => panic!("unknown check key {other}"),
    }
}

fn field_value(m: &Mrz, key: &str) -> String {
    let f = &m.fields;
    match key {
        "document_code" => f.document_code.to_string(),
        "issuing_state" => f.issuing_state.to_string(),
        "surname" => f.surname.clone(),
        "given_names" => f.given_names.clone(),
        "document_number" => f.document_number.clone(),
        "nationality" => f.nationality.to_string(),
        "date_of_birth" => f.birth_date.to_string(),
        "date_of_expiry" => f.expiry_date.to_string(),
        "sex" => f.sex.to_mrz().to_string(),
        "optional_data" | "optional_data_1" | "office_code" => f.optional_data.clone(),
        "optional_data_2" => f.optional_data_2.clone(),
        other => panic!("unknown parsed key {other}"),
    }
}

#[test]
fn every_format_is_detected_and_check_flags_match() {
    let blocks = blocks();
    let mut formats = BTreeSet::new();
    for b in &blocks {
        let m = parse_block(b);
        assert_eq!(m.format(), b.format, "{}: format", b.file);
        formats.insert(b.format.name());
        for (key, want) in &b.checks {
            let got = m
                .checks
                .get(checked_field(key))
                .unwrap_or_else(|| panic!("{}: no {key} check", b.file));
            assert_eq!(
                got.valid,
                want.as_bool().expect("bool"),
                "{}: check {key}: {got:?}",
                b.file
            );
        }
        assert_eq!(m.checks.all_valid(), b.all_valid, "{}: all checks", b.file);
        assert_eq!(
            m.is_valid(),
            b.all_valid,
            "{}: is_valid {:?}",
            b.file,
            m.issues
        );
    }
    assert_eq!(formats.len(), 7, "formats present: {formats:?}");
}

#[test]
fn valid_samples_match_ground_truth_field_by_field() {
    let blocks = blocks();
    let mut valid_blocks = 0;
    let mut valid_files = BTreeSet::new();
    let mut invalid_blocks = 0;
    for b in &blocks {
        let m = parse_block(b);
        if !b.all_valid {
            invalid_blocks += 1;
            assert!(
                !m.is_valid(),
                "{}: printed check digits fail, must be flagged",
                b.file
            );
            assert!(!m.checks.failing().is_empty());
            continue;
        }
        valid_blocks += 1;
        valid_files.insert(b.file.clone());
        for (key, want) in &b.parsed {
            let want = want.as_str().expect("string");
            assert_eq!(field_value(&m, key), want, "{}: field {key}", b.file);
        }
    }
    assert_eq!(invalid_blocks, 5);
    assert_eq!(valid_files.len(), 52);
    assert_eq!(valid_blocks, 53); // ResidentCard.jpg holds two valid MRZs
}

#[test]
fn invalid_samples_still_decode_their_printed_text() {
    for b in blocks().iter().filter(|b| !b.all_valid) {
        let m = parse_block(b);
        for (key, want) in &b.parsed {
            assert_eq!(
                field_value(&m, key),
                want.as_str().expect("string"),
                "{}: field {key}",
                b.file
            );
        }
    }
}

#[test]
fn webhook_fields_and_dates() {
    for b in blocks().iter().filter(|b| b.all_valid) {
        let m = parse_block(b);
        let d = m.document_data();
        if !m.fields.birth_date.is_empty() {
            let iso = d.doc_dob.clone();
            // Impossible calendar dates (a specimen has 29 Feb 2011) give no ISO date.
            if let Some(iso) = iso {
                assert_eq!(&iso[2..4], &m.fields.birth_date[0..2], "{}", b.file);
                assert!(
                    iso.as_str() <= "2026-01-01",
                    "{}: birth in the future {iso}",
                    b.file
                );
            }
        }
        if let Some(exp) = &d.doc_expiry {
            assert!(exp.as_str() <= "2046-01-01", "{}", b.file);
        }
        let expected_sex = match m.fields.sex {
            Sex::Male => "MALE",
            Sex::Female => "FEMALE",
            _ => "UNDEFINED",
        };
        assert_eq!(d.doc_sex.as_str(), expected_sex);
    }
    let lva = blocks()
        .into_iter()
        .find(|b| b.file.ends_with("0_pass-lva.jpg"))
        .expect("lva");
    let d = parse_block(&lva).document_data();
    assert_eq!(d.doc_issuing_country.as_deref(), Some("LV"));
    assert_eq!(d.doc_nationality, None); // XXC refugee
    assert_eq!(d.doc_type.as_str(), "PASSPORT");
    let ger = blocks()
        .into_iter()
        .find(|b| b.file.ends_with("53_id-d.jpg"))
        .expect("german id");
    let d = parse_block(&ger).document_data();
    assert_eq!(d.doc_issuing_country.as_deref(), Some("DE"));
    assert_eq!(d.doc_dob.as_deref(), Some("1964-08-12"));
    assert_eq!(d.doc_expiry.as_deref(), Some("2020-10-31"));
    assert_eq!(d.doc_type.as_str(), "ID_CARD");
}

#[test]
fn repair_leaves_valid_samples_alone_and_never_validates_printed_failures_silently() {
    for b in blocks() {
        let refs: Vec<&str> = b.lines.iter().map(|s| s.as_str()).collect();
        let r = parse_with_repair(&refs, &opts()).unwrap_or_else(|e| panic!("{}: {e}", b.file));
        if b.all_valid {
            assert_eq!(r.status, RepairStatus::Valid, "{}", b.file);
            assert_eq!(r.mrz.lines, b.lines);
        } else {
            assert_ne!(r.status, RepairStatus::Valid, "{}", b.file);
        }
    }
}

#[test]
fn samples_are_found_in_noisy_text() {
    for b in blocks().iter().filter(|b| b.all_valid) {
        let mut text =
            String::from("REPUBLIC OF SOMEWHERE\nSurname / Nom\nDate of birth 12 AUG 1974\n");
        for l in &b.lines {
            // Typical OCR noise: spaces and lower-case letters.
            let noisy: String = l
                .chars()
                .enumerate()
                .map(|(i, c)| if i == 7 { c.to_ascii_lowercase() } else { c })
                .collect();
            text.push_str(&noisy[..noisy.len() / 2]);
            text.push(' ');
            text.push_str(&noisy[noisy.len() / 2..]);
            text.push('\n');
        }
        text.push_str("Signature of bearer\n");
        let found =
            find_in_text(&text, &opts()).unwrap_or_else(|e| panic!("{}: {e}\n{text}", b.file));
        assert!(
            found.result.is_trusted(),
            "{}: {:?}",
            b.file,
            found.result.status
        );
        assert_eq!(found.result.mrz.lines, b.lines, "{}", b.file);
        assert_eq!(
            found.line_indices,
            (3..3 + b.lines.len()).collect::<Vec<_>>()
        );
    }
}
