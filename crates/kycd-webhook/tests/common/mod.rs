//! What the delivery tests share: a store in a temporary SQLite file with one partner.
#![allow(dead_code)]

use kycd_store::{Keyring, NewPartner, PartnerRow, Store};

/// A store over a temporary SQLite file, its keyring and one partner (`key-1`, secret `secret`, no direct
/// processing) whose webhooks are signed with `signing_key`.
pub struct Env {
    pub dir: tempfile::TempDir,
    pub store: Store,
    pub keyring: Keyring,
    pub partner: PartnerRow,
}

pub async fn store_with_partner(signing_key: &[u8]) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/x.db?mode=rwc", dir.path().display());
    let store = Store::connect(&url, 4).await.unwrap();
    let keyring = Keyring::from_master(&[9u8; 32]).unwrap();
    let new = NewPartner::new(
        "p",
        "key-1",
        keyring.hash_secret("secret").to_vec(),
        keyring.encrypt(signing_key).unwrap(),
    );
    let partner = store
        .create_partner(NewPartner {
            direct_processing: false,
            ..new
        })
        .await
        .unwrap();
    Env {
        dir,
        store,
        keyring,
        partner,
    }
}
