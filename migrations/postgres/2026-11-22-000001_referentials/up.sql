-- Referentials and their items, loaded from referentials/*.toml.
-- JSON columns hold the wire shape (passerelle-api types) as text.
CREATE TABLE referentials (
    id TEXT PRIMARY KEY NOT NULL,
    title TEXT NOT NULL,
    version TEXT NOT NULL,
    seeds TEXT NOT NULL,
    attributes TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

-- Items keep their id across reloads (updated in place by code), so later links survive.
CREATE TABLE referential_items (
    id BIGSERIAL PRIMARY KEY,
    referential_id TEXT NOT NULL REFERENCES referentials (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_code TEXT,
    label TEXT NOT NULL,
    official_code TEXT,
    position INTEGER NOT NULL,
    source TEXT NOT NULL,
    repairs TEXT NOT NULL,
    refs TEXT NOT NULL,
    attributes TEXT NOT NULL,
    UNIQUE (referential_id, code)
);
CREATE INDEX referential_items_by_parent ON referential_items (referential_id, parent_code);
