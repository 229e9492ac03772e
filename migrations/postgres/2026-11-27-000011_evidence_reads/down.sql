DROP TRIGGER fiches_revision ON fiches;
DROP FUNCTION fiches_revision();
DROP INDEX fiche_items_levels;
DROP INDEX fiches_by_class;
ALTER TABLE fiches DROP COLUMN revision;
CREATE INDEX fiches_by_class ON fiches (class_id, status);
