-- PGI exercises of an establishment's teachers, mapped to referential items by stable
-- code (codes never change once published, and a referential reload must not drop links).
CREATE TABLE exercises (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    instructions TEXT NOT NULL,
    software_id TEXT,
    base_id TEXT,
    -- JSON arrays of PGI module and feature ids.
    modules TEXT NOT NULL,
    features TEXT NOT NULL,
    duration_minutes INTEGER,
    level TEXT,
    visibility TEXT NOT NULL,
    copied_from BIGINT REFERENCES exercises (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX exercises_by_establishment ON exercises (establishment_id, visibility);
CREATE INDEX exercises_by_author ON exercises (author_id);

CREATE TABLE exercise_items (
    exercise_id BIGINT NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    referential_id TEXT NOT NULL REFERENCES referentials (id),
    item_code TEXT NOT NULL,
    main BOOLEAN NOT NULL,
    PRIMARY KEY (exercise_id, referential_id, item_code)
);

-- The attached file lives in the database, so every app server on it sees it and
-- backups include it.
CREATE TABLE exercise_files (
    exercise_id BIGINT PRIMARY KEY NOT NULL REFERENCES exercises (id) ON DELETE CASCADE,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    content BLOB NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);

-- A class's progression: which exercise, from when to when.
CREATE TABLE class_exercises (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    class_id BIGINT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    exercise_id BIGINT NOT NULL REFERENCES exercises (id),
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    assigned_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX class_exercises_by_class ON class_exercises (class_id, starts_on);
CREATE INDEX class_exercises_by_exercise ON class_exercises (exercise_id);
