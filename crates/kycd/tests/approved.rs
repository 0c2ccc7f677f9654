//! The approved path end to end: a synthetic passport (OCR-B, valid MRZ, the holder's photo as portrait, not a
//! specimen, not expired) with a selfie of the same person → APPROVED with AML screened against the UN list; then
//! the cross-client fraud checks: duplicates, the same clientId exemption, a selfie blocklist and deletion.

mod common;
use common::*;
use serde_json::{Value, json};
use std::time::Duration;

fn tags(v: &Value) -> Vec<String> {
    v["status"]["fraudTags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn approved_then_duplicates_blocklist_and_deletion() {
    let s = Server::start(&[]);
    // AML screening needs lists: the UN consolidated list, imported by the CLI while the server runs (picked up by
    // the list watcher), so the check is successful rather than AML_FAILED.
    s.cli(&[
        "lists",
        "import",
        "--format",
        "un-xml",
        data("sanctions/un/consolidated.xml").to_str().unwrap(),
    ]);
    tokio::time::sleep(Duration::from_secs(8)).await;
    let p = s.partner(true);
    let doc = passport("faces/deepface/img1.jpg");

    // 1. Same person on the document and in the selfie, clean data: APPROVED.
    let (a, v) = verify(&s, &p, "client-a", &doc, "faces/deepface/img2.jpg").await;
    assert_eq!(v["status"]["autoDocument"], "DOC_VALIDATED", "{v}");
    assert_eq!(v["status"]["autoFace"], "FACE_MATCH", "{v}");
    assert_eq!(v["status"]["status"], "APPROVED", "{v}");
    assert_eq!(v["data"]["docLastName"], doc.surname.as_str());
    assert_eq!(v["data"]["docNumber"], doc.number.as_str());
    assert_eq!(v["data"]["docIssuingCountry"], doc.country.as_str());

    // 2. The same clientId again is a re-verification, never a duplicate.
    let (_, v) = verify(&s, &p, "client-a", &doc, "faces/deepface/img5.jpg").await;
    assert_eq!(v["status"]["status"], "APPROVED", "{v}");

    // 3. The same person and document under another clientId: duplicates → SUSPECTED, with the scanRefs.
    let (b, v) = verify(&s, &p, "client-b", &doc, "faces/deepface/img4.jpg").await;
    let t = tags(&v);
    assert_eq!(v["status"]["status"], "SUSPECTED", "{v}");
    for want in [
        "DUPLICATE_FACE",
        "DUPLICATE_DOC_FACE",
        "DUPLICATE_PERSONAL_DATA",
        "FAKE_PHOTO",
    ] {
        assert!(t.contains(&want.to_string()), "{want} missing in {t:?}");
    }
    assert!(
        v["data"]["duplicateFaces"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == a.as_str()),
        "{v}"
    );

    // 4. Blocklist the first selfie: its source gets FACE_IN_BLACKLIST, later matches FACE_BLACKLISTED.
    let (code, e) = s
        .post_json(
            &p,
            &format!("/kyc/identifications/{a}/blocklists/SELFIE/"),
            &json!({"reason": "test"}),
        )
        .await;
    assert_eq!(code, 201, "{e}");
    assert_eq!(e["id"], a.as_str());
    let (_, st) = s
        .post_json(&p, "/api/v2/status", &json!({"scanRef": a}))
        .await;
    assert!(
        st["fraudTags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == "FACE_IN_BLACKLIST")
    );
    let (_, v) = verify(&s, &p, "client-c", &doc, "faces/deepface/img6.jpg").await;
    assert!(tags(&v).contains(&"FACE_BLACKLISTED".to_string()), "{v}");

    // 5. Deleting a verification erases its embeddings: it is no longer reported as a duplicate.
    assert_eq!(
        s.post_json(&p, "/api/v2/delete", &json!({"scanRef": b}))
            .await
            .0,
        200
    );
    let (_, v) = verify(&s, &p, "client-d", &doc, "faces/deepface/img7.jpg").await;
    let dups: Vec<Value> = v["data"]["duplicateFaces"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!dups.iter().any(|x| x == b.as_str()), "{v}");
    assert!(dups.iter().any(|x| x == a.as_str()), "{v}");
}
