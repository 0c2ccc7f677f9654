CREATE TABLE partners (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    secret_hash BLOB NOT NULL,
    signing_key_enc BLOB NOT NULL,
    direct_processing INTEGER NOT NULL DEFAULT 0,
    manual_review INTEGER NOT NULL DEFAULT 0,
    webhook_url TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE tokens (
    auth_token TEXT PRIMARY KEY,
    scan_ref TEXT NOT NULL UNIQUE,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    client_id TEXT NOT NULL,
    token_type TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    nfc_required INTEGER NOT NULL DEFAULT 0,
    questionnaire_required INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER,
    expiry_notified INTEGER NOT NULL DEFAULT 0,
    deleted_at INTEGER
);
CREATE INDEX tokens_partner ON tokens(partner_id);
CREATE INDEX tokens_expiry ON tokens(expires_at) WHERE used_at IS NULL AND expiry_notified = 0;

CREATE TABLE verifications (
    scan_ref TEXT PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    client_id TEXT NOT NULL,
    auth_token TEXT NOT NULL,
    status TEXT NOT NULL,
    country TEXT,
    document_type TEXT,
    skip_analysis INTEGER NOT NULL DEFAULT 0,
    images_json TEXT NOT NULL,
    precheck_json TEXT,
    result_json TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER,
    deleted_at INTEGER
);
CREATE INDEX verifications_partner_client ON verifications(partner_id, client_id);

CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    scan_ref TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    run_after INTEGER NOT NULL,
    lease_until INTEGER,
    lease_owner TEXT,
    last_error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, run_after);

CREATE TABLE webhook_outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id TEXT NOT NULL UNIQUE,
    scan_ref TEXT NOT NULL,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    event_type TEXT NOT NULL,
    url TEXT,
    body BLOB NOT NULL,
    state TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    lease_until INTEGER,
    created_at INTEGER NOT NULL,
    delivered_at INTEGER
);
CREATE INDEX webhook_outbox_ready ON webhook_outbox(state, next_attempt_at);
CREATE INDEX webhook_outbox_scan ON webhook_outbox(scan_ref);

CREATE TABLE webhook_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    outbox_id INTEGER NOT NULL REFERENCES webhook_outbox(id),
    attempted_at INTEGER NOT NULL,
    status_code INTEGER,
    duration_ms INTEGER NOT NULL,
    error TEXT,
    response_body TEXT
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts(outbox_id);
