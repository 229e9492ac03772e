-- Students' portfolios: fiches de situation professionnelle, their items, attachments,
-- history, and the in-app notifications of their review.
CREATE TABLE fiches (
    id BIGSERIAL PRIMARY KEY,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id),
    student_id BIGINT NOT NULL REFERENCES users (id),
    class_id BIGINT NOT NULL REFERENCES classes (id),
    -- The class's referential when the fiche was created: its items' codes belong to it.
    referential_id TEXT NOT NULL REFERENCES referentials (id),
    title TEXT NOT NULL,
    context TEXT NOT NULL,
    assignment_id BIGINT REFERENCES class_exercises (id) ON DELETE SET NULL,
    firm_name TEXT,
    firm_sector TEXT,
    firm_tutor TEXT,
    context_text TEXT NOT NULL,
    starts_on DATE,
    ends_on DATE,
    description TEXT NOT NULL,
    software_id TEXT,
    other_software TEXT NOT NULL,
    -- JSON array of PGI feature ids.
    features TEXT NOT NULL,
    status TEXT NOT NULL,
    submissions INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    validated_at TIMESTAMP,
    validated_by BIGINT REFERENCES users (id)
);
CREATE INDEX fiches_by_student ON fiches (student_id, updated_at);
CREATE INDEX fiches_by_class ON fiches (class_id, status);

-- Items shown by a fiche, with the degree of mastery the validating teacher set.
CREATE TABLE fiche_items (
    fiche_id BIGINT NOT NULL REFERENCES fiches (id) ON DELETE CASCADE,
    item_code TEXT NOT NULL,
    level SMALLINT,
    PRIMARY KEY (fiche_id, item_code)
);

-- Attachments live in the database, so every app server on it sees them and backups
-- include them. Their bytes are cut in chunks (fiche_attachment_chunks), so writing a
-- 10 MB file never needs another 10 MB buffer in the driver, and reading can stream.
CREATE TABLE fiche_attachments (
    id BIGSERIAL PRIMARY KEY,
    fiche_id BIGINT NOT NULL REFERENCES fiches (id) ON DELETE CASCADE,
    student_id BIGINT NOT NULL REFERENCES users (id),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX fiche_attachments_by_fiche ON fiche_attachments (fiche_id);
CREATE INDEX fiche_attachments_by_student ON fiche_attachments (student_id);

CREATE TABLE fiche_attachment_chunks (
    attachment_id BIGINT NOT NULL REFERENCES fiche_attachments (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (attachment_id, seq)
);

-- Every change to a fiche, oldest first; `changes` is a JSON array of {field, before, after}.
CREATE TABLE fiche_events (
    id BIGSERIAL PRIMARY KEY,
    fiche_id BIGINT NOT NULL REFERENCES fiches (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,
    comment TEXT,
    changes TEXT NOT NULL
);
CREATE INDEX fiche_events_by_fiche ON fiche_events (fiche_id, id);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    fiche_id BIGINT NOT NULL REFERENCES fiches (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_by_fiche ON notifications (fiche_id);
