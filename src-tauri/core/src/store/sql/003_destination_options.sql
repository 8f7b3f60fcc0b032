-- Per-destination upload options and probe results (JSON, see options.rs), the provider preset
-- a destination was made from, each job's conflict rule, and a note on how a job ended (e.g.
-- "skipped: an identical object exists", "renamed to photo-1.jpg").
ALTER TABLE profiles ADD COLUMN provider TEXT;
ALTER TABLE profiles ADD COLUMN options TEXT NOT NULL DEFAULT '{}';
ALTER TABLE profiles ADD COLUMN capabilities TEXT;
ALTER TABLE jobs ADD COLUMN if_exists TEXT NOT NULL DEFAULT 'overwrite';
ALTER TABLE jobs ADD COLUMN note TEXT;
