-- An establishment's adaptations of the CCF grid templates generated from the
-- referentials: every edit is a new version, none is overwritten.
CREATE TABLE grid_template_versions (
    id BIGSERIAL PRIMARY KEY,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id),
    -- `referential:épreuve`, e.g. bacpro-agora:E31.
    template_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    -- JSON: the GridTemplateInput of that version.
    body TEXT NOT NULL,
    edited_by BIGINT NOT NULL REFERENCES users (id),
    edited_at TIMESTAMP NOT NULL,
    UNIQUE (establishment_id, template_id, version)
);
