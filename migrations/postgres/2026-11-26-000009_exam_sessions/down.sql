DROP TABLE exam_candidates;
DROP TABLE jury_members;
DROP TABLE juries;
DROP TABLE exam_sessions;
