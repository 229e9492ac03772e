DROP TABLE exam_grid_audit;
DROP TABLE exam_grid_signatures;
DROP TABLE exam_grid_members;
DROP TABLE exam_grids;
