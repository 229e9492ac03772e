DROP TABLE class_students;
DROP TABLE class_teachers;
DROP TABLE classes;
DROP TABLE school_years;
