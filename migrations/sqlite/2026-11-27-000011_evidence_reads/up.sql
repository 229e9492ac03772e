-- Progress and coverage read every submitted or validated fiche of a class with its items
-- (a class of 35 students: ~1,750 fiches, ~3,500 items).
--
-- 1. Indexes that hold every column those reads use, so they never touch the fiche rows
--    themselves (wide: their text) nor the item rows. (In SQLite every index holds the
--    rowid, here the fiche id.)
-- 2. A revision per fiche, raised by every update of the row, so that what a server
--    computed from a class's fiches can be kept and checked in one index read: the
--    class's fiche count, highest id and sum of revisions change with any insert,
--    delete or update (inserts raise the highest id, deletes without inserts lower the
--    count, updates alone raise the sum). Items are only written with their fiche's row.
DROP INDEX fiches_by_class;
ALTER TABLE fiches ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX fiches_by_class
    ON fiches (class_id, status, student_id, validated_at, referential_id, revision);
CREATE INDEX fiche_items_levels ON fiche_items (fiche_id, item_code, level);
CREATE TRIGGER fiches_revision AFTER UPDATE ON fiches
    WHEN NEW.revision = OLD.revision
BEGIN
    UPDATE fiches SET revision = OLD.revision + 1 WHERE id = NEW.id;
END;
