//! Hot reload of lists written by another process (here: the same store functions the
//! `kycd lists import|update` commands use), and the empty-service behaviour.

use crate::common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use kycd_aml::error::AmlError;
use kycd_aml::parsers::Format;
use kycd_aml::service::ReloadEvent;
use kycd_aml::{Query, ScreeningService, fraud_tag, store};

/// Only in the UN list (list B).
const UN_ONLY: &str = "Gaston Iyamuremye";
/// Only in the UK fixture (list A).
const UK_ONLY: &str = "Arkady Semyonovich Belotserkovsky";

fn tmp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kycd-aml-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn uk_fixture() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/uk_sanctions_list_sample.xml"
    ))
}

fn import_a(dir: &Path) {
    store::import(dir, Format::UkXml, &[uk_fixture()], None).unwrap();
}

fn import_b(dir: &Path) {
    store::import(
        dir,
        Format::UnXml,
        &[common::data("un/consolidated.xml")],
        None,
    )
    .unwrap();
}

fn alerts(svc: &ScreeningService, name: &str) -> bool {
    svc.screen(&Query::person(name))
        .hits
        .iter()
        .any(|h| h.above_threshold)
}

#[test]
fn empty_data_dir_gives_an_empty_service_that_reports_a_failed_check() {
    let dir = tmp_dir("reload-empty");
    let svc = ScreeningService::load(&dir).unwrap();
    assert!(svc.is_empty());
    let summary = svc.list_summary();
    assert!(summary.is_empty());
    assert_eq!(summary.entity_count, 0);
    assert!(
        summary.to_string().contains("no sanctions lists loaded"),
        "{summary}"
    );
    // plain screening finds nothing; the checked variants say why
    assert!(!svc.screen(&Query::person(UN_ONLY)).is_alert());
    assert!(matches!(
        svc.screen_checked(&Query::person(UN_ONLY)),
        Err(AmlError::NoListsLoaded)
    ));
    let aml = svc.aml_entry(&Query::person(UN_ONLY), "2026-01-01 00:00:00", "AML-1", &[]);
    assert_eq!(aml.len(), 1);
    assert!(!aml[0].status.check_successful);
    assert!(!aml[0].status.service_suspected);
    assert!(aml[0].data.is_empty());
    assert!(
        aml[0]
            .error_message
            .as_deref()
            .unwrap()
            .contains("no sanctions lists loaded")
    );
    assert_eq!(fraud_tag(&aml), Some("AML_FAILED"));
    // nothing changed on disk: no reload
    assert!(!svc.reload_if_changed().unwrap());
    // a forced reload of an empty store fails and keeps the (empty) service usable
    assert!(matches!(svc.reload(), Err(AmlError::NoLists(_))));

    // the first import makes it a working service without a restart
    import_b(&dir);
    assert!(svc.reload_if_changed().unwrap());
    assert!(!svc.is_empty());
    let aml = svc.aml_entry(&Query::person(UN_ONLY), "2026-01-01 00:00:00", "AML-2", &[]);
    assert!(aml[0].status.check_successful);
    assert!(aml[0].status.service_suspected);
    assert_eq!(fraud_tag(&aml), Some("AML_SUSPECTION"));
    let clean = svc.aml_entry(
        &Query::person("Jonathan Smithfield"),
        "2026-01-01 00:00:00",
        "AML-3",
        &[],
    );
    assert!(clean[0].status.check_successful);
    assert_eq!(clean[0].status.overall_status, "NOT_SUSPECTED");
    assert_eq!(fraud_tag(&clean), None);
    // unreadable qualifiers are dropped (they could only lower the score) ...
    let odd = svc.aml_entry(
        &Query {
            birth_date: Some("not a date".into()),
            nationality: Some("UTO".into()),
            ..Query::person(UN_ONLY)
        },
        "2026-01-01 00:00:00",
        "AML-4",
        &[],
    );
    assert!(odd[0].status.check_successful);
    assert!(odd[0].status.service_suspected);
    // ... but no name at all is a failed check, not a clean one
    let bad = svc.aml_entry(&Query::person("  "), "2026-01-01 00:00:00", "AML-5", &[]);
    assert!(!bad[0].status.check_successful);
    assert_eq!(fraud_tag(&bad), Some("AML_FAILED"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reload_if_changed_swaps_atomically_and_keeps_old_index_on_failure() {
    let dir = tmp_dir("reload-ab");
    import_a(&dir);
    let svc = ScreeningService::load(&dir).unwrap();
    assert!(alerts(&svc, UK_ONLY));
    assert!(!alerts(&svc, UN_ONLY), "B is not imported yet");
    assert!(!svc.reload_if_changed().unwrap(), "nothing changed");
    let gen_a = svc.list_summary().generation.unwrap();

    // an in-flight screening holds the old snapshot
    let old = svc.index();
    import_b(&dir);
    assert!(svc.reload_if_changed().unwrap());
    assert!(alerts(&svc, UN_ONLY));
    assert!(alerts(&svc, UK_ONLY), "A is still stored");
    assert!(!Arc::ptr_eq(&old, &svc.index()));
    let cfg = svc.config();
    assert!(!old.screen(&Query::person(UN_ONLY), &cfg).is_alert());
    assert_eq!(old.lists().len(), 1);
    let summary = svc.list_summary();
    assert_eq!(summary.lists.len(), 2);
    assert_ne!(summary.generation.as_deref(), Some(gen_a.as_str()));
    assert!(!svc.reload_if_changed().unwrap(), "second call: no change");

    // a corrupt file fails at import: nothing is stored, nothing to reload
    let bad = dir.join("broken.xml");
    std::fs::write(&bad, "<Designations><Designation><UniqueID>X1</Uniq").unwrap();
    assert!(store::import(&dir, Format::UkXml, &[bad], Some("uk")).is_err());
    assert!(!svc.reload_if_changed().unwrap());
    assert!(alerts(&svc, UN_ONLY));

    // a corrupt stored list (e.g. written by a broken tool): the rebuild fails, the
    // current index stays, and the next call retries
    let current = svc.index();
    let un_file = store::lists_dir(&dir).join("un-sc.jsonl");
    let good = std::fs::read(&un_file).unwrap();
    std::fs::write(&un_file, b"{\"id\": \"truncated").unwrap();
    store::bump_generation(&dir).unwrap();
    assert!(svc.reload_if_changed().is_err());
    assert!(Arc::ptr_eq(&current, &svc.index()));
    assert!(alerts(&svc, UN_ONLY));
    assert!(svc.reload_if_changed().is_err(), "retried, still broken");
    // repaired: picked up
    std::fs::write(&un_file, good).unwrap();
    assert!(svc.reload_if_changed().unwrap());
    assert!(alerts(&svc, UN_ONLY));

    // removing every list never swaps in an empty index
    let current = svc.index();
    std::fs::remove_dir_all(store::lists_dir(&dir)).unwrap();
    assert!(matches!(svc.reload_if_changed(), Err(AmlError::NoLists(_))));
    assert!(Arc::ptr_eq(&current, &svc.index()));
    assert!(alerts(&svc, UK_ONLY));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_writer_that_does_not_stamp_is_noticed_through_the_metadata() {
    let dir = tmp_dir("reload-nostamp");
    import_a(&dir);
    let svc = ScreeningService::load(&dir).unwrap();
    import_b(&dir);
    // an older binary would not have written the stamp
    std::fs::remove_file(store::lists_dir(&dir).join(store::GENERATION_FILE)).unwrap();
    assert!(svc.reload_if_changed().unwrap());
    assert!(alerts(&svc, UN_ONLY));
    assert!(!svc.reload_if_changed().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn watcher_thread_picks_up_an_import_and_stops() {
    let dir = tmp_dir("reload-watch");
    import_a(&dir);
    let svc = Arc::new(ScreeningService::load(&dir).unwrap());
    let (tx, rx) = mpsc::channel();
    let watcher = svc
        .clone()
        .spawn_watcher_with(Duration::from_millis(20), move |ev| {
            let _ = tx.send(ev);
        })
        .unwrap();
    import_b(&dir);
    // generous bound for a loaded CI machine; the reload itself takes well under a second
    let ev = rx.recv_timeout(Duration::from_secs(60)).unwrap();
    match ev {
        ReloadEvent::Reloaded(s) => assert_eq!(s.lists.len(), 2),
        other => panic!("{other:?}"),
    }
    assert!(alerts(&svc, UN_ONLY));
    watcher.stop();
    // stopped: further changes are not picked up by the thread
    store::bump_generation(&dir).unwrap();
    assert!(rx.recv_timeout(Duration::from_millis(200)).is_err());
    // and a failing rebuild is reported, not fatal
    let un_file = store::lists_dir(&dir).join("un-sc.jsonl");
    std::fs::write(&un_file, b"not json").unwrap();
    store::bump_generation(&dir).unwrap();
    let (tx2, rx2) = mpsc::channel();
    let watcher = svc
        .clone()
        .spawn_watcher_with(Duration::from_millis(20), move |ev| {
            let _ = tx2.send(ev);
        })
        .unwrap();
    let ev = rx2.recv_timeout(Duration::from_secs(60));
    assert!(
        matches!(ev, Ok(ReloadEvent::Failed { consecutive: 1, .. })),
        "{ev:?}"
    );
    drop(watcher);
    assert!(alerts(&svc, UN_ONLY), "old index kept");
    let _ = std::fs::remove_dir_all(&dir);
}
