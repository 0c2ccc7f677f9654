-- The review console (issue 17): operators (people, separate from partners), their sessions, the append-only
-- audit log, and per-verification summary columns the queue filters and sorts on at scale. The result itself stays
-- sealed in result_json; the summary holds statuses and tags only (no personal data).
CREATE TABLE operators (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    partner_id INTEGER REFERENCES partners(id),
    disabled INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    created_at INTEGER NOT NULL,
    password_set_at INTEGER NOT NULL
);

CREATE TABLE console_sessions (
    id_hash TEXT PRIMARY KEY,
    operator_id INTEGER NOT NULL REFERENCES operators(id),
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX console_sessions_operator ON console_sessions(operator_id);

-- Append-only: the code has no UPDATE or DELETE of this table except erasing `note` (free text that may hold
-- personal data) when its verification is erased; the fact of the action stays.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at INTEGER NOT NULL,
    operator_id INTEGER,
    operator_email TEXT NOT NULL,
    action TEXT NOT NULL,
    partner_id INTEGER,
    scan_ref TEXT,
    detail TEXT,
    note TEXT,
    source_ip TEXT
);
CREATE INDEX audit_log_at ON audit_log(created_at);
CREATE INDEX audit_log_scan ON audit_log(scan_ref, created_at);

ALTER TABLE verifications ADD COLUMN auto_document TEXT;
ALTER TABLE verifications ADD COLUMN auto_face TEXT;
ALTER TABLE verifications ADD COLUMN manual_document TEXT;
ALTER TABLE verifications ADD COLUMN manual_face TEXT;
-- Fraud and mismatch tags as ",TAG,TAG," (so a tag is found with LIKE '%,TAG,%').
ALTER TABLE verifications ADD COLUMN tags TEXT;
-- 1 while a finished verification waits for a person (REVIEWING or SUSPECTED without a manual decision).
ALTER TABLE verifications ADD COLUMN review_pending INTEGER NOT NULL DEFAULT 0;
UPDATE verifications SET review_pending = 1
 WHERE finished_at IS NOT NULL AND deleted_at IS NULL AND status IN ('REVIEWING', 'SUSPECTED');
CREATE INDEX verifications_created ON verifications(created_at, scan_ref);
CREATE INDEX verifications_partner_created ON verifications(partner_id, created_at, scan_ref);
CREATE INDEX verifications_status_created ON verifications(status, created_at, scan_ref);
CREATE INDEX verifications_partner_status_created ON verifications(partner_id, status, created_at, scan_ref);
CREATE INDEX verifications_review ON verifications(review_pending, created_at, scan_ref);
CREATE INDEX verifications_partner_review ON verifications(partner_id, review_pending, created_at, scan_ref);
CREATE INDEX verifications_client ON verifications(client_id);
-- The dashboard's window scans (outcomes per day, processing-time percentiles, automatic pass rate) read only these
-- columns: covering indexes keep them off the table rows.
CREATE INDEX verifications_dashboard ON verifications(created_at, status, finished_at, manual_document);
CREATE INDEX verifications_partner_dashboard ON verifications(partner_id, created_at, status, finished_at, manual_document);
