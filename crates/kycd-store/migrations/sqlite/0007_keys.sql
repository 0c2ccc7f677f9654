-- Master-key rotation (`kycd keys rotate|status`). key_material holds named keys that must outlive a master key —
-- the pepper of API-secret and lookup hashes — encrypted with the master key like any other value; key_rotation
-- holds the progress of the rotation under way or last finished (one row, JSON), so that it resumes after a crash.
CREATE TABLE key_material (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
CREATE TABLE key_rotation (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state_json TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
