-- Derived data for fraud checks: face embeddings (encrypted), keyed hashes of personal data and images,
-- and the partners' blocklists. Everything keyed by scan_ref is erased with the verification.
CREATE TABLE face_embeddings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_ref TEXT NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    embedding_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX face_embeddings_scan_kind ON face_embeddings(scan_ref, kind);
CREATE INDEX face_embeddings_partner ON face_embeddings(partner_id, kind, id);

CREATE TABLE personal_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scan_ref TEXT NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    client_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    key_hash TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX personal_keys_lookup ON personal_keys(partner_id, kind, key_hash);
CREATE INDEX personal_keys_scan ON personal_keys(scan_ref);

CREATE TABLE blocklist (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    source TEXT NOT NULL,
    scan_ref TEXT NOT NULL,
    reason TEXT,
    embedding_enc BLOB,
    data_key TEXT,
    data_enc BLOB,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX blocklist_source ON blocklist(partner_id, source, scan_ref);
CREATE INDEX blocklist_data ON blocklist(partner_id, data_key);
