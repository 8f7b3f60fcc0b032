-- How a completed job ended, as a code beside its human note (model::Outcome): uploaded,
-- skipped_identical, skipped_existing, renamed. Jobs completed before this column existed get
-- theirs from the notes earlier versions wrote.
ALTER TABLE jobs ADD COLUMN outcome TEXT;
UPDATE jobs SET outcome = 'skipped_identical'
    WHERE state = 'completed' AND note = 'skipped: an identical object exists';
UPDATE jobs SET outcome = 'skipped_existing'
    WHERE state = 'completed' AND note LIKE 'skipped: a different object exists%';
UPDATE jobs SET outcome = 'renamed' WHERE state = 'completed' AND note LIKE 'renamed to %';
UPDATE jobs SET outcome = 'uploaded' WHERE state = 'completed' AND outcome IS NULL;
