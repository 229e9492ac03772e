DROP TABLE grid_template_versions;
