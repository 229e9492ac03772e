-- Candidates' grids: each jury member's own assessment, the agreed grid, the members'
-- signatures that lock it, and an audit of locks and reopenings with the grid as it was.
CREATE TABLE exam_grids (
    candidate_id BIGINT PRIMARY KEY NOT NULL REFERENCES exam_candidates (id) ON DELETE CASCADE,
    -- JSON arrays of {code, level} and {field, text}.
    levels TEXT NOT NULL,
    comments TEXT NOT NULL,
    final_mark DOUBLE PRECISION,
    justification TEXT,
    status TEXT NOT NULL,
    locked_at TIMESTAMP,
    updated_at TIMESTAMP NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES users (id)
);

CREATE TABLE exam_grid_members (
    candidate_id BIGINT NOT NULL REFERENCES exam_candidates (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    levels TEXT NOT NULL,
    comments TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (candidate_id, user_id)
);

CREATE TABLE exam_grid_signatures (
    candidate_id BIGINT NOT NULL REFERENCES exam_candidates (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id),
    signed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (candidate_id, user_id)
);

CREATE TABLE exam_grid_audit (
    id BIGSERIAL PRIMARY KEY,
    candidate_id BIGINT NOT NULL REFERENCES exam_candidates (id) ON DELETE CASCADE,
    actor_id BIGINT NOT NULL REFERENCES users (id),
    at TIMESTAMP NOT NULL,
    action TEXT NOT NULL,
    reason TEXT,
    -- JSON: the CandidateGrid as it was.
    snapshot TEXT NOT NULL
);
CREATE INDEX exam_grid_audit_by_candidate ON exam_grid_audit (candidate_id, id);
