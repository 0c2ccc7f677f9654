//! AML monitoring subjects, leases and settings, on SQLite and PostgreSQL.

use crate::common;
use common::*;
use kycd_store::{NewSubject, Store, SubjectData};

fn person(partner: kycd_types::PartnerId, scan_ref: Option<&str>, name: &str) -> NewSubject {
    NewSubject {
        partner_id: partner,
        scan_ref: scan_ref.map(str::to_string),
        kind: "PERSON".into(),
        data: SubjectData {
            name: name.into(),
            surname: Some("DOE".into()),
            nationality: Some("LT".into()),
            date_of_birth: Some("1980-01-02".into()),
            country: None,
        },
        expires_at: kycd_store::now_ms() + 3_600_000,
    }
}

async fn subjects_are_stored_screened_stopped_and_expired(store: Store) {
    let p = partner(&store, "key-m").await;
    let a = store
        .add_subject(&person(p, Some("scan-1"), "ANNA"))
        .await
        .unwrap();
    assert_eq!(
        (a.alert_status.as_str(), a.matcher, a.active),
        ("NOT_CHECKED", 0, true)
    );
    assert_eq!(a.data.name, "ANNA");
    // The same verification again keeps its subject.
    let again = store
        .add_subject(&person(p, Some("scan-1"), "ANNA"))
        .await
        .unwrap();
    assert_eq!(again.monitoring_id, a.monitoring_id);
    let added = store
        .add_subjects(&[
            person(p, None, "BOB"),
            person(p, None, "CARL"),
            person(p, Some("scan-1"), "X"),
        ])
        .await
        .unwrap();
    assert_eq!(added, 2, "the monitored verification is skipped");
    assert_eq!(store.count_subjects(None).await.unwrap(), 3);
    assert_eq!(store.count_subjects(Some(1)).await.unwrap(), 3);
    let never = store.subjects_screened_by(0, None, 2).await.unwrap();
    let rest = store
        .subjects_screened_by(0, Some(&never[1].monitoring_id), 2)
        .await
        .unwrap();
    assert_eq!((never.len(), rest.len()), (2, 1));
    // Screens: one with matches, the others without (written in one statement).
    let all = store.subjects(None, 10, false, None).await.unwrap();
    let screens: Vec<_> = all
        .iter()
        .map(|s| {
            let hits = if s.monitoring_id == a.monitoring_id {
                vec!["un:QDi.1".to_string()]
            } else {
                vec![]
            };
            let status = if hits.is_empty() {
                "NOT_SUSPECTED"
            } else {
                "SUSPECTED"
            };
            (s.monitoring_id.clone(), hits, status.to_string())
        })
        .collect();
    store.set_subject_screens(&screens, 1).await.unwrap();
    assert_eq!(store.count_subjects(Some(1)).await.unwrap(), 0);
    let a2 = store.subject(&a.monitoring_id).await.unwrap().unwrap();
    assert_eq!(
        (a2.hits.clone(), a2.alert_status.as_str(), a2.matcher),
        (vec!["un:QDi.1".to_string()], "SUSPECTED", 1)
    );
    assert!(
        store
            .subjects_screened_by(0, None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.subjects_screened_by(1, None, 10).await.unwrap().len(),
        3
    );
    // Paging by id.
    let first = store.subjects(None, 2, false, None).await.unwrap();
    let rest = store
        .subjects(Some(&first[1].monitoring_id), 2, false, None)
        .await
        .unwrap();
    assert_eq!(first.len() + rest.len(), 3);
    // Stop, only by its partner.
    let other = partner(&store, "key-n").await;
    assert!(!store.stop_subject(other, &a.monitoring_id).await.unwrap());
    assert!(store.stop_subject(p, &a.monitoring_id).await.unwrap());
    assert_eq!(
        store.subjects(None, 10, false, None).await.unwrap().len(),
        2
    );
    assert_eq!(store.subjects(None, 10, true, None).await.unwrap().len(), 3);
    // A full re-screen is asked for; the end of the period ends monitoring.
    assert_eq!(store.reset_subject_screens().await.unwrap(), 2);
    assert_eq!(
        store
            .expire_subjects(kycd_store::now_ms() + 7_200_000)
            .await
            .unwrap(),
        2
    );
    assert_eq!(store.count_subjects(None).await.unwrap(), 0);
}
on_all_backends!(subjects, subjects_are_stored_screened_stopped_and_expired);

async fn leases_and_settings(store: Store) {
    let now = kycd_store::now_ms();
    assert!(store.take_lease("l", "a", now + 60_000).await.unwrap());
    assert!(
        !store.take_lease("l", "b", now + 60_000).await.unwrap(),
        "held by a"
    );
    assert!(
        store.take_lease("l", "a", now + 90_000).await.unwrap(),
        "renewed by its holder"
    );
    store.release_lease("l", "a").await.unwrap();
    assert!(
        store.take_lease("l", "b", now + 60_000).await.unwrap(),
        "free after release"
    );
    assert_eq!(store.setting("s").await.unwrap(), None);
    store.set_setting("s", "1").await.unwrap();
    store.set_setting("s", "2").await.unwrap();
    assert_eq!(store.setting("s").await.unwrap().as_deref(), Some("2"));
}
on_all_backends!(leases, leases_and_settings);
