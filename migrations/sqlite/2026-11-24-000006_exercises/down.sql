DROP TABLE class_exercises;
DROP TABLE exercise_files;
DROP TABLE exercise_items;
DROP TABLE exercises;
