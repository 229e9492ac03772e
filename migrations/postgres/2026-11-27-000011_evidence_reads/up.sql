-- Progress and coverage read every submitted or validated fiche of a class with its items
-- (a class of 35 students: ~1,750 fiches, ~3,500 items).
--
-- 1. Indexes that hold every column those reads use, so they run as index-only scans and
--    never touch the fiche rows themselves (wide: their text) nor the item rows.
-- 2. A revision per fiche, raised by every update of the row, so that what a server
--    computed from a class's fiches can be kept and checked in one index read: the
--    class's fiche count, highest id and sum of revisions change with any insert,
--    delete or update (inserts raise the highest id, deletes without inserts lower the
--    count, updates alone raise the sum). Items are only written with their fiche's row.
DROP INDEX fiches_by_class;
ALTER TABLE fiches ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX fiches_by_class ON fiches (class_id, status)
    INCLUDE (id, student_id, validated_at, referential_id, revision);
CREATE INDEX fiche_items_levels ON fiche_items (fiche_id) INCLUDE (item_code, level);
CREATE FUNCTION fiches_revision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.revision = OLD.revision THEN
        NEW.revision := OLD.revision + 1;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER fiches_revision BEFORE UPDATE ON fiches
    FOR EACH ROW EXECUTE FUNCTION fiches_revision();
