-- AML monitoring (issue 19): subjects re-screened after every list change, the partner switch that monitors every
-- approved verification (iDenfy's autoAmlMonitoring), and named leases (one list refresher per fleet).
ALTER TABLE partners ADD COLUMN aml_monitoring INTEGER NOT NULL DEFAULT 0;

-- One monitored person or company. data_json is sealed like every personal-data column ({"name", "surname",
-- "nationality", "dateOfBirth", "country"}); hits_json holds the list entity ids of the current matches (list data,
-- not the subject's); matcher is the screening logic's version of the last full screen.
CREATE TABLE aml_subjects (
    monitoring_id TEXT PRIMARY KEY,
    partner_id INTEGER NOT NULL REFERENCES partners(id),
    scan_ref TEXT,
    kind TEXT NOT NULL,
    data_json TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    alert_status TEXT NOT NULL DEFAULT 'NOT_CHECKED',
    hits_json TEXT NOT NULL DEFAULT '[]',
    matcher INTEGER NOT NULL DEFAULT 0,
    checked_at INTEGER
);
CREATE UNIQUE INDEX aml_subjects_scan_ref ON aml_subjects (partner_id, scan_ref);
CREATE INDEX aml_subjects_active ON aml_subjects (active, monitoring_id);

CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms INTEGER NOT NULL
);

-- Small named values shared by the processes of an installation (e.g. how far the list refresh history has been
-- applied to the monitored subjects).
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
