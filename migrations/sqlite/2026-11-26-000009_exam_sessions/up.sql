-- Exam sessions of one épreuve (a grid template, in the version current at opening),
-- their candidates (students of the chosen classes) and juries.
CREATE TABLE exam_sessions (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id),
    template_id TEXT NOT NULL,
    template_version INTEGER NOT NULL,
    label TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    access_route TEXT,
    published BOOLEAN NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX exam_sessions_by_establishment ON exam_sessions (establishment_id);

CREATE TABLE juries (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    session_id BIGINT NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
    name TEXT NOT NULL
);
CREATE INDEX juries_by_session ON juries (session_id);

CREATE TABLE jury_members (
    jury_id BIGINT NOT NULL REFERENCES juries (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    role TEXT NOT NULL,
    PRIMARY KEY (jury_id, user_id)
);
CREATE INDEX jury_members_by_user ON jury_members (user_id);

CREATE TABLE exam_candidates (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    session_id BIGINT NOT NULL REFERENCES exam_sessions (id) ON DELETE CASCADE,
    student_id BIGINT NOT NULL REFERENCES users (id),
    class_id BIGINT NOT NULL REFERENCES classes (id),
    number TEXT NOT NULL,
    jury_id BIGINT REFERENCES juries (id) ON DELETE SET NULL,
    conforme BOOLEAN NOT NULL,
    nonconformity_reason TEXT,
    UNIQUE (session_id, student_id)
);
CREATE INDEX exam_candidates_by_jury ON exam_candidates (jury_id);
