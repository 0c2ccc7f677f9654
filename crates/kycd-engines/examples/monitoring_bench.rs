//! AML monitoring at scale (issue 19): N monitored subjects in SQLite (sealed like production), screened in full
//! against the shared official lists (UN, OFAC SDN, EU, UK), then re-screened incrementally after a list change that
//! adds 100 entities. Prints the times, the alerts and the peak RSS.
//!
//! `cargo run --release -p kycd-engines --example monitoring_bench -- [N] [ADDED]` (default 1,000,000 and 100).
//! The data folder is a scratch dir under `target/`.

use kycd_aml::monitor::ListDiff;
use kycd_aml::{Format, Index, ScreeningService};
use kycd_engines::monitoring::Monitor;
use kycd_store::{Keyring, NewPartner, NewSubject, Store, SubjectData};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

const GIVEN: &[&str] = &[
    "ANNA", "JOHN", "MARIA", "AHMED", "OLGA", "PETER", "LI", "FATIMA", "CARLOS", "YUKI", "IVAN",
    "SARA", "MOHAMMED", "ELENA", "DAVID", "AMINA", "LUCAS", "NINA", "OMAR", "SOFIA", "JONAS",
    "EMMA", "ALI", "MARTA", "TOMAS", "LINA", "HASSAN", "EVA", "PAOLO", "IRINA", "KENJI", "ZARA",
    "VIKTOR", "LEA", "DMITRI", "NOOR", "MIGUEL", "ALMA",
];
const FAMILY: &[&str] = &[
    "SMITH",
    "KOWALSKI",
    "PETROV",
    "GARCIA",
    "MULLER",
    "NGUYEN",
    "KIM",
    "SILVA",
    "ROSSI",
    "JANSEN",
    "HOFFMANN",
    "IVANOV",
    "KAZLAUSKAS",
    "BERG",
    "NOVAK",
    "DUBOIS",
    "LINDQVIST",
    "OKAFOR",
    "HASHEMI",
    "TANAKA",
    "MORALES",
    "POPESCU",
    "HORVAT",
    "SANTOS",
    "FISCHER",
    "KARIMI",
    "ANDERSSON",
    "MEYER",
    "COHEN",
    "SATO",
    "WALSH",
    "NILSEN",
    "PAVLOVIC",
    "AHMADI",
    "LEWANDOWSKI",
    "VAN DIJK",
    "OLSEN",
    "MARTINEZ",
    "BAUER",
    "KHAN",
    "YILMAZ",
    "ZHANG",
];

/// (given names, rest) of the persons among `entities`, by their first name.
fn person_names(entities: &[kycd_aml::Entity]) -> Vec<(String, String)> {
    entities
        .iter()
        .filter(|e| e.kind == kycd_aml::EntityKind::Person)
        .filter_map(|e| {
            let n = e.names.first()?;
            let mut parts = n.full.split_whitespace();
            Some((
                parts.next()?.to_string(),
                parts.collect::<Vec<_>>().join(" "),
            ))
        })
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

/// `n` distinct made-up name words of two to four syllables.
fn made_up_names(n: usize, seed: u64) -> Vec<String> {
    const ONSET: &[&str] = &[
        "B", "D", "F", "G", "K", "L", "M", "N", "P", "R", "S", "T", "V", "Z", "BR", "DR", "KR",
        "ST", "TR", "SH", "CH", "",
    ];
    const VOWEL: &[&str] = &["A", "E", "I", "O", "U", "AI", "EI", "OU"];
    const CODA: &[&str] = &["", "", "N", "R", "S", "L", "K", "M"];
    let mut seen = std::collections::HashSet::new();
    let mut x = seed.wrapping_mul(0x2545_F491_4F6C_DD1D) | 1;
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let syllables = 2 + (x % 3) as usize;
        let mut w = String::new();
        let mut r = x >> 2;
        for _ in 0..syllables {
            w.push_str(ONSET[(r % ONSET.len() as u64) as usize]);
            r /= ONSET.len() as u64;
            w.push_str(VOWEL[(r % VOWEL.len() as u64) as usize]);
            r /= VOWEL.len() as u64;
            w.push_str(CODA[(r % CODA.len() as u64) as usize]);
            r /= CODA.len() as u64;
        }
        if w.len() >= 4 && seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

fn rss_peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let added: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(100);
    let repo = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."));
    let shared = repo.join("../shared/data/sanctions");
    let dir = repo.join("target/monitoring-bench");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();

    // The lists, as `kycd lists import` stores them.
    for (format, path) in [
        (Format::UnXml, "un/consolidated.xml"),
        (Format::OfacCsv, "ofac_sdn_2024/sdn.csv"),
        (Format::EuAggregateJson, "eu/pakote_all_2026-01-28.json"),
        (Format::UkCsv, "uk/sample_ofsi_conlist.csv"),
    ] {
        kycd_aml::store::import(&dir, format, &[shared.join(path)], None).expect("list imports");
    }
    let (entities, metas) = kycd_aml::store::load_all(&dir).unwrap();
    // The change to measure: `added` entities, spread over the lists, missing from the index of the full screen.
    let stride = (entities.len() / added.max(1)).max(1);
    let (mut before, mut new_entities) = (Vec::new(), Vec::new());
    for (i, e) in entities.iter().enumerate() {
        if i % stride == stride / 2 && new_entities.len() < added {
            new_entities.push(e.clone());
        } else {
            before.push(e.clone());
        }
    }
    let service = Arc::new(ScreeningService::from_index(Index::build(
        before,
        metas.clone(),
    )));

    let keyring = Keyring::from_master(&[7u8; 32]).unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.join("kycd.db").display());
    let store = Store::connect(&url, 4)
        .await
        .unwrap()
        .with_encryption(keyring.clone());
    let partner = store
        .create_partner(NewPartner {
            aml_monitoring: true,
            ..NewPartner::new(
                "bench",
                "bench",
                vec![0; 32],
                keyring.encrypt(b"signing").unwrap(),
            )
        })
        .await
        .unwrap();

    // N subjects: half of the names from common given and family names, half from a long tail of made-up ones (a
    // real population repeats its common names but holds tens of thousands of rare ones), a third with a middle
    // name, 1 in 2,000 a listed person (so alerts happen) and 1 in 50,000 a person among the entities the list
    // change adds (so that the incremental re-screen has alerts to find).
    let t = Instant::now();
    let listed = person_names(&entities);
    let listed_new = person_names(&new_entities);
    let mut rng: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let rare_given = made_up_names(2_000, 11);
    let rare_family = made_up_names(60_000, 23);
    let pick = |common: &[&str], rare: &[String], r: u64| {
        if r.is_multiple_of(2) {
            common[(r >> 8) as usize % common.len()].to_string()
        } else {
            rare[(r >> 8) as usize % rare.len()].clone()
        }
    };
    let expires = kycd_store::now_ms() + 365 * 24 * 3600 * 1000;
    let mut batch = Vec::with_capacity(10_000);
    let mut words = std::collections::HashSet::new();
    let mut planted = 0;
    for i in 0..n {
        let (name, surname) = if i % 50_000 == 17 && !listed_new.is_empty() {
            planted += 1;
            listed_new[next() as usize % listed_new.len()].clone()
        } else if i % 2000 == 7 && !listed.is_empty() {
            listed[next() as usize % listed.len()].clone()
        } else {
            let mut given = pick(GIVEN, &rare_given, next());
            if next().is_multiple_of(3) {
                given = format!("{given} {}", pick(GIVEN, &rare_given, next()));
            }
            (given, pick(FAMILY, &rare_family, next()))
        };
        words.extend(name.split_whitespace().map(str::to_string));
        words.insert(surname.clone());
        let r = next();
        batch.push(NewSubject {
            partner_id: partner.id,
            scan_ref: None,
            kind: "PERSON".into(),
            data: SubjectData {
                name,
                surname: Some(surname),
                nationality: None,
                date_of_birth: Some(format!(
                    "{}-{:02}-{:02}",
                    1940 + r % 65,
                    1 + (r >> 8) % 12,
                    1 + (r >> 16) % 28
                )),
                country: None,
            },
            expires_at: expires,
        });
        if batch.len() == 10_000 {
            store.add_subjects(&batch).await.unwrap();
            batch.clear();
        }
    }
    store.add_subjects(&batch).await.unwrap();
    println!(
        "{n} subjects ({} distinct name words) stored in {:.1} s",
        words.len(),
        t.elapsed().as_secs_f64()
    );
    drop(words);

    // Reading and opening every subject, the floor of a pass that visits them all.
    let t = Instant::now();
    let (mut after, mut read) = (None::<String>, 0usize);
    loop {
        let b = store
            .subjects(after.as_deref(), 2000, false, None)
            .await
            .unwrap();
        let Some(last) = b.last() else { break };
        after = Some(last.monitoring_id.clone());
        read += b.len();
    }
    println!(
        "read and open {read} subjects: {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let monitor = Monitor::new(
        store.clone(),
        service.clone(),
        dir.clone(),
        vec![],
        "bench".into(),
    );
    let t = Instant::now();
    let full = monitor.screen_pending().await.unwrap();
    let full_s = t.elapsed().as_secs_f64();
    println!(
        "full re-screen: {} subjects in {full_s:.1} s ({:.0} subjects/s), {} alerts; index {} entities",
        full.screened,
        full.screened as f64 / full_s,
        full.alerts,
        service.index().entities().len()
    );

    // The list change: the index now serves the added entities too; the subjects are re-screened against them.
    service.replace(Index::build(entities, metas));
    let diff = ListDiff {
        added: new_entities,
        ..ListDiff::default()
    };
    let t = Instant::now();
    monitor.warm().await.unwrap();
    println!(
        "subjects loaded into the monitor's memory (once per lease holder): {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let t = Instant::now();
    let inc = monitor
        .apply_changes(&[("bench".into(), diff)])
        .await
        .unwrap();
    let inc_s = t.elapsed().as_secs_f64();
    println!(
        "incremental re-screen after {} added entities: {} subjects in {inc_s:.1} s, {} alerts ({planted} subjects \
         are added persons)",
        inc.entities_changed, inc.screened, inc.alerts
    );
    println!("peak RSS {} MB", rss_peak_kb() / 1024);
    store.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
