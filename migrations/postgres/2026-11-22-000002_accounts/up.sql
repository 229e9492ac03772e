-- Establishments, accounts, sign-in sessions, audit log, sign-in throttling.
CREATE TABLE establishments (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    uai TEXT NOT NULL UNIQUE,
    academie TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- One account per person; email is stored lower-cased. password_hash is NULL until an
-- invitation is used. An admin may exist before any establishment (created from the CLI).
CREATE TABLE users (
    id BIGSERIAL PRIMARY KEY,
    establishment_id BIGINT REFERENCES establishments (id),
    email TEXT NOT NULL UNIQUE,
    last_name TEXT NOT NULL,
    first_name TEXT NOT NULL,
    password_hash TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    birth_date DATE,
    ine TEXT,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (establishment_id, ine)
);

-- A person can hold several roles (a teacher who sits on a jury).
CREATE TABLE user_roles (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'teacher', 'student', 'jury')),
    PRIMARY KEY (user_id, role)
);

-- A signed-in session: access tokens carry its id (sid) and die with it.
CREATE TABLE auth_sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX auth_sessions_by_user ON auth_sessions (user_id);

-- Rotating refresh tokens, stored hashed; a used one presented again revokes its session.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    session_id TEXT NOT NULL REFERENCES auth_sessions (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor_id BIGINT,
    establishment_id BIGINT,
    action TEXT NOT NULL,
    object TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX audit_log_by_establishment ON audit_log (establishment_id, at);

-- Failed sign-ins per account and per IP address, in a sliding window.
CREATE TABLE login_throttle (
    key TEXT PRIMARY KEY NOT NULL,
    failures INTEGER NOT NULL,
    window_started_at TIMESTAMP NOT NULL,
    locked_until TIMESTAMP
);
