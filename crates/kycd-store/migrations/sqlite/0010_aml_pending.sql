-- The monitored subjects still to be screened by the current matching logic, found in monitoring_id order without a
-- scan of every subject (a pass that finds none is the usual case, every few seconds, at a million subjects).
CREATE INDEX aml_subjects_matcher ON aml_subjects (matcher, monitoring_id) WHERE active = 1;
-- Monitoring periods that end, found without a scan at every pass.
CREATE INDEX aml_subjects_expiry ON aml_subjects (active, expires_at);
