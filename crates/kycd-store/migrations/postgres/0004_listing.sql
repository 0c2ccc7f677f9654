-- `GET /kyc/identifications/`: a partner's identifications (one per token, as scanRefs are issued with the token),
-- newest first, optionally of one clientId. Both orders are served by an index scan.
CREATE INDEX tokens_partner_created ON tokens(partner_id, created_at, scan_ref);
CREATE INDEX tokens_partner_client_created ON tokens(partner_id, client_id, created_at, scan_ref);
