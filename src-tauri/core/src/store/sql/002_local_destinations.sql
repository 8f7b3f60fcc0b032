-- Local-folder destinations, and the built-in one Hoist creates on first run.
ALTER TABLE profiles ADD COLUMN folder BLOB;
ALTER TABLE profiles ADD COLUMN builtin INTEGER NOT NULL DEFAULT 0;
