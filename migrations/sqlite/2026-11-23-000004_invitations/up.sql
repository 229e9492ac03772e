-- One-time invitation codes (first sign-in of an account created by an admin or an
-- import), stored hashed; issuing a new one replaces the previous one.
CREATE TABLE invitations (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- Failed sign-ins are recorded under the account's establishment when it is known.
CREATE INDEX users_by_establishment ON users (establishment_id);
CREATE INDEX classes_by_establishment ON classes (establishment_id, school_year_id);
