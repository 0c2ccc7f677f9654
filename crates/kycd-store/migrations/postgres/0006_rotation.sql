-- Partner secret rotation (`kycd partner rotate-secret|rotate-signing-key|confirm-signing-key`): the previous API
-- secret's keyed hash and the previous webhook signing key (encrypted like the current one), each with the time (ms)
-- until which it is still honoured, and when the partner confirmed it verifies with the new signing key (from then
-- on `Idenfy-Signature` uses the new key). NULL = no rotation in progress.
ALTER TABLE partners ADD COLUMN prev_secret_hash BYTEA;
ALTER TABLE partners ADD COLUMN prev_secret_until BIGINT;
ALTER TABLE partners ADD COLUMN prev_signing_key_enc BYTEA;
ALTER TABLE partners ADD COLUMN prev_signing_key_until BIGINT;
ALTER TABLE partners ADD COLUMN signing_key_confirmed_at BIGINT;
