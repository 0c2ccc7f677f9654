//! `lists update` against a local HTTP server on 127.0.0.1 (the machine has no internet):
//! success, then failures (bad XML, 404, suspiciously small list) that must keep the
//! previous version; and the atomic service reload.

use crate::common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::PathBuf;
use std::thread;

use kycd_aml::cli::{UpdateOptions, lists_status, lists_update};
use kycd_aml::parsers::Format;
use kycd_aml::update::{UpdateEvent, UpdateSource};
use kycd_aml::{Query, ScreeningService};

const TINY_UN: &str = r#"<CONSOLIDATED_LIST dateGenerated="2026-03-01T00:00:00Z"><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>ONLY</FIRST_NAME><SECOND_NAME>ONE</SECOND_NAME><REFERENCE_NUMBER>X.1</REFERENCE_NUMBER></INDIVIDUAL></INDIVIDUALS></CONSOLIDATED_LIST>"#;

/// Serve `requests` requests, then stop.
fn serve(requests: usize) -> (u16, thread::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let un = std::fs::read(common::data("un/consolidated.xml")).unwrap();
    let uk = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/uk_sanctions_list_sample.xml"
    ))
    .unwrap();
    let handle = thread::spawn(move || {
        for _ in 0..requests {
            let Ok((mut stream, _)) = listener.accept() else {
                return;
            };
            stream
                .set_read_timeout(Some(std::time::Duration::from_secs(10)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
            let (status, body): (&str, Vec<u8>) = match path.as_str() {
                "/un.xml" => ("200 OK", un.clone()),
                "/UK-Sanctions-List.xml" => ("200 OK", uk.clone()),
                "/broken.xml" => (
                    "200 OK",
                    b"<CONSOLIDATED_LIST><INDIVIDUALS><INDIVIDUAL><FIRST_NAME>X</FIRST".to_vec(),
                ),
                "/tiny.xml" => ("200 OK", TINY_UN.as_bytes().to_vec()),
                _ => ("404 Not Found", b"not found".to_vec()),
            };
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (port, handle)
}

fn src(port: u16, path: &str) -> UpdateSource {
    UpdateSource {
        key: "un-sc".into(),
        format: Format::UnXml,
        url: format!("http://127.0.0.1:{port}{path}"),
        file_name: "consolidated.xml".into(),
    }
}

#[test]
fn update_keeps_previous_version_on_failure() {
    let dir: PathBuf = std::env::temp_dir().join(format!("kycd-aml-update-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (port, server) = serve(4);
    let mut events = Vec::new();
    let mut out = Vec::new();
    let opts = UpdateOptions {
        data_dir: dir.clone(),
        sources: Some(vec![src(port, "/un.xml")]),
    };
    let report = lists_update(&opts, &mut out, &mut |e| events.push(e)).unwrap();
    assert_eq!(report.updated.len(), 1, "{report:?}");
    assert_eq!(report.updated[0].entity_count, 1_003);
    assert_eq!(
        report.updated[0].inputs,
        vec![format!("http://127.0.0.1:{port}/un.xml")]
    );
    assert!(matches!(
        events.first(),
        Some(UpdateEvent::Started { total: Some(_), .. })
    ));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, UpdateEvent::Progress { .. }))
    );
    assert!(matches!(events.last(), Some(UpdateEvent::Updated(_))));
    let before = lists_status(&dir, false, &mut Vec::new()).unwrap();

    let service = ScreeningService::load(&dir).unwrap();
    assert!(
        service
            .screen(&Query::person("Gaston Iyamuremye"))
            .is_alert()
    );

    for bad in ["/broken.xml", "/missing", "/tiny.xml"] {
        let opts = UpdateOptions {
            data_dir: dir.clone(),
            sources: Some(vec![src(port, bad)]),
        };
        let report = lists_update(&opts, &mut Vec::new(), &mut |_| {}).unwrap();
        assert!(report.updated.is_empty(), "{bad}");
        assert_eq!(report.failed.len(), 1, "{bad}");
        let after = lists_status(&dir, false, &mut Vec::new()).unwrap();
        assert_eq!(after, before, "{bad}: previous version must be kept");
    }
    server.join().unwrap();

    // reload swaps a fresh index built from the kept lists; screenings keep working
    let old = service.index();
    service.reload().unwrap();
    assert!(!std::sync::Arc::ptr_eq(&old, &service.index()));
    assert!(
        service
            .screen(&Query::person("Gaston Iyamuremye"))
            .is_alert()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unreachable_server_fails_cleanly() {
    let dir: PathBuf =
        std::env::temp_dir().join(format!("kycd-aml-update-none-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // bind then drop: the port is very likely closed
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let opts = UpdateOptions {
        data_dir: dir.clone(),
        sources: Some(vec![src(port, "/un.xml")]),
    };
    let report = lists_update(&opts, &mut Vec::new(), &mut |_| {}).unwrap();
    assert_eq!(report.failed.len(), 1);
    assert!(
        lists_status(&dir, false, &mut Vec::new())
            .unwrap()
            .is_empty()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn update_uk_xml_then_running_service_hot_reloads() {
    let official = kycd_aml::update::official_sources();
    let uk = official.iter().find(|s| s.key == "uk").unwrap();
    assert_eq!(uk.format, Format::UkXml);
    assert!(uk.url.ends_with("/UK-Sanctions-List.xml"), "{}", uk.url);

    let dir: PathBuf =
        std::env::temp_dir().join(format!("kycd-aml-update-uk-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    // the server starts before any list exists
    let service = ScreeningService::load(&dir).unwrap();
    assert!(service.is_empty());
    let (port, server) = serve(1);
    let opts = UpdateOptions {
        data_dir: dir.clone(),
        sources: Some(vec![UpdateSource {
            url: format!("http://127.0.0.1:{port}/UK-Sanctions-List.xml"),
            ..uk.clone()
        }]),
    };
    let report = lists_update(&opts, &mut Vec::new(), &mut |_| {}).unwrap();
    server.join().unwrap();
    assert_eq!(report.updated.len(), 1, "{report:?}");
    assert_eq!(report.updated[0].entity_count, 6);
    assert_eq!(report.updated[0].format, "uk-xml");
    // the separate "process" wrote the lists: the service notices and swaps
    assert!(service.reload_if_changed().unwrap());
    assert!(!service.is_empty());
    assert_eq!(
        service.list_summary().lists[0].inputs,
        vec![format!("http://127.0.0.1:{port}/UK-Sanctions-List.xml")]
    );
    assert!(
        service
            .screen(&Query::person("Arkadiy Belotserkovskiy"))
            .is_alert()
    );
    assert!(!service.reload_if_changed().unwrap());
    let _ = std::fs::remove_dir_all(&dir);
}
