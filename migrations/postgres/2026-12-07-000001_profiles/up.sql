-- What people show of themselves: a name besides the username, a status line, and an avatar
-- (the key of its resized image in the file storage).
ALTER TABLE users ADD COLUMN display_name TEXT;
ALTER TABLE users ADD COLUMN status TEXT;
ALTER TABLE users ADD COLUMN avatar_key TEXT;
-- Server settings an admin changed at runtime; each wins over its command-line flag.
CREATE TABLE server_settings (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
