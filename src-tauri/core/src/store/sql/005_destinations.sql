-- One word for one thing: the table of destinations and the jobs' reference to it were named
-- after "profiles", an older word for the same thing. SQLite renames the foreign key with them.
ALTER TABLE profiles RENAME TO destinations;
ALTER TABLE jobs RENAME COLUMN profile_id TO destination_id;
