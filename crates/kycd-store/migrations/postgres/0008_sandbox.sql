-- Sandbox partners (`kycd partner create --sandbox`): their tokens may carry `dummyStatus`, whose verifications run
-- no analysis and get a canned result (iDenfy's DEV environment).
ALTER TABLE partners ADD COLUMN sandbox BIGINT NOT NULL DEFAULT 0;
