CREATE TABLE partners (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    api_key TEXT NOT NULL UNIQUE,
    secret_hash BYTEA NOT NULL,
    signing_key_enc BYTEA NOT NULL,
    direct_processing BIGINT NOT NULL DEFAULT 0,
    manual_review BIGINT NOT NULL DEFAULT 0,
    webhook_url TEXT,
    disabled BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

CREATE TABLE tokens (
    auth_token TEXT PRIMARY KEY,
    scan_ref TEXT NOT NULL UNIQUE,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    client_id TEXT NOT NULL,
    token_type TEXT NOT NULL,
    settings_json TEXT NOT NULL,
    nfc_required BIGINT NOT NULL DEFAULT 0,
    questionnaire_required BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    expiry_notified BIGINT NOT NULL DEFAULT 0,
    deleted_at BIGINT
);
CREATE INDEX tokens_partner ON tokens(partner_id);
CREATE INDEX tokens_expiry ON tokens(expires_at) WHERE used_at IS NULL AND expiry_notified = 0;

CREATE TABLE verifications (
    scan_ref TEXT PRIMARY KEY,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    client_id TEXT NOT NULL,
    auth_token TEXT NOT NULL,
    status TEXT NOT NULL,
    country TEXT,
    document_type TEXT,
    skip_analysis BIGINT NOT NULL DEFAULT 0,
    images_json TEXT NOT NULL,
    precheck_json TEXT,
    result_json TEXT,
    created_at BIGINT NOT NULL,
    finished_at BIGINT,
    deleted_at BIGINT
);
CREATE INDEX verifications_partner_client ON verifications(partner_id, client_id);

CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    scan_ref TEXT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after BIGINT NOT NULL,
    lease_until BIGINT,
    lease_owner TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_ready ON jobs(state, run_after);

CREATE TABLE webhook_outbox (
    id BIGSERIAL PRIMARY KEY,
    webhook_id TEXT NOT NULL UNIQUE,
    scan_ref TEXT NOT NULL,
    partner_id BIGINT NOT NULL REFERENCES partners(id),
    event_type TEXT NOT NULL,
    url TEXT,
    body BYTEA NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    lease_until BIGINT,
    created_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_outbox_ready ON webhook_outbox(state, next_attempt_at);
CREATE INDEX webhook_outbox_scan ON webhook_outbox(scan_ref);

CREATE TABLE webhook_attempts (
    id BIGSERIAL PRIMARY KEY,
    outbox_id BIGINT NOT NULL REFERENCES webhook_outbox(id),
    attempted_at BIGINT NOT NULL,
    status_code BIGINT,
    duration_ms BIGINT NOT NULL,
    error TEXT,
    response_body TEXT
);
CREATE INDEX webhook_attempts_outbox ON webhook_attempts(outbox_id);
