CREATE TABLE profiles (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    kind       TEXT NOT NULL,
    endpoint   TEXT,
    region     TEXT NOT NULL,
    bucket     TEXT NOT NULL,
    path_style INTEGER NOT NULL,
    prefix     TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);
