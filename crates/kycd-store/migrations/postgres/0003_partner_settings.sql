-- Partner settings changed with `kycd partner update`: AML screening as part of the partner's service (on unless
-- switched off) and the defaults for new tokens (a JSON object with optional `expiryTime`, `documents`, `country`).
ALTER TABLE partners ADD COLUMN aml BIGINT NOT NULL DEFAULT 1;
ALTER TABLE partners ADD COLUMN token_defaults TEXT NOT NULL DEFAULT '{}';
