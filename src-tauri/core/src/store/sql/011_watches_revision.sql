-- A counter every change to a watch's settings or state moves on, from any process, so that an
-- open window sees a watch paused or removed with the CLI: it reads this one row every half
-- second. `active_at` (written as files are queued) is left out: it changes with every batch.
CREATE TABLE watches_revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO watches_revision (id, value) VALUES (1, 0);
CREATE TRIGGER watches_revision_on_insert AFTER INSERT ON watches
BEGIN
    UPDATE watches_revision SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER watches_revision_on_delete AFTER DELETE ON watches
BEGIN
    UPDATE watches_revision SET value = value + 1 WHERE id = 1;
END;
CREATE TRIGGER watches_revision_on_update
AFTER UPDATE OF folder, destination_id, bucket, prefix, key_template, ignore, if_exists,
    settle_ms, mirror_deletes, poll, paused, state, note ON watches
BEGIN
    UPDATE watches_revision SET value = value + 1 WHERE id = 1;
END;
