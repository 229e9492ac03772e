-- The PGI catalogue (referentials/pgi/catalogue.toml) and the correspondences between
-- referentials (referentials/correspondences/*.toml). Rewritten whole when their files
-- change (catalogue_loads keeps each part's content hash); items are named by
-- (referential_id, code), which never change.
CREATE TABLE catalogue_loads (
    name TEXT PRIMARY KEY NOT NULL,
    content_hash TEXT NOT NULL,
    loaded_at TIMESTAMP NOT NULL
);

CREATE TABLE pgi_software (
    id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    source TEXT,
    citation TEXT,
    also_at TEXT NOT NULL,
    note TEXT
);

CREATE TABLE pgi_modules (
    id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    label TEXT NOT NULL,
    software TEXT NOT NULL,
    source TEXT,
    citation TEXT,
    also_at TEXT NOT NULL
);

CREATE TABLE pgi_features (
    id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    module_id TEXT NOT NULL REFERENCES pgi_modules (id) ON DELETE CASCADE,
    label TEXT NOT NULL,
    keywords TEXT NOT NULL,
    sources TEXT NOT NULL
);

CREATE TABLE pgi_bases (
    id TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    software TEXT NOT NULL,
    notes TEXT NOT NULL,
    sources TEXT NOT NULL,
    rationale TEXT,
    recommended_for TEXT NOT NULL
);

CREATE TABLE pgi_base_modules (
    base_id TEXT NOT NULL REFERENCES pgi_bases (id) ON DELETE CASCADE,
    module_id TEXT NOT NULL REFERENCES pgi_modules (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (base_id, module_id)
);

-- One row per (use entry, feature); entry = the entry's position in the file.
CREATE TABLE pgi_uses (
    id BIGSERIAL PRIMARY KEY,
    entry INTEGER NOT NULL,
    referential_id TEXT NOT NULL,
    item_code TEXT NOT NULL,
    feature_id TEXT NOT NULL REFERENCES pgi_features (id) ON DELETE CASCADE,
    source TEXT,
    rationale TEXT
);
CREATE INDEX pgi_uses_by_item ON pgi_uses (referential_id, item_code);

CREATE TABLE correspondence_pairs (
    from_referential TEXT NOT NULL,
    to_referential TEXT NOT NULL,
    rationale TEXT NOT NULL,
    PRIMARY KEY (from_referential, to_referential)
);

CREATE TABLE correspondences (
    id BIGSERIAL PRIMARY KEY,
    from_referential TEXT NOT NULL,
    from_code TEXT NOT NULL,
    to_referential TEXT NOT NULL,
    to_code TEXT NOT NULL,
    relation TEXT NOT NULL,
    rationale TEXT,
    source TEXT,
    UNIQUE (from_referential, from_code, to_referential, to_code)
);
CREATE INDEX correspondences_by_target ON correspondences (to_referential, to_code);
