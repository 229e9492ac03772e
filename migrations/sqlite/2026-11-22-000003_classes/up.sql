-- School years and classes of an establishment, with their teachers and students.
CREATE TABLE school_years (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id),
    label TEXT NOT NULL,
    starts_on DATE NOT NULL,
    ends_on DATE NOT NULL,
    UNIQUE (establishment_id, label)
);

-- A class prepares one referential ("T AGOrA A" → bacpro-agora).
CREATE TABLE classes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    establishment_id BIGINT NOT NULL REFERENCES establishments (id),
    school_year_id BIGINT NOT NULL REFERENCES school_years (id),
    name TEXT NOT NULL,
    referential_id TEXT NOT NULL REFERENCES referentials (id),
    UNIQUE (school_year_id, name)
);

CREATE TABLE class_teachers (
    class_id BIGINT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_teachers_by_user ON class_teachers (user_id);

CREATE TABLE class_students (
    class_id BIGINT NOT NULL REFERENCES classes (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (class_id, user_id)
);
CREATE INDEX class_students_by_user ON class_students (user_id);
