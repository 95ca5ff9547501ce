-- Refresh tokens are looked up by their hash (they carry no session id any more), and the
-- token a rotation replaced is kept to tell a benign race (two tabs) from reuse.
ALTER TABLE sessions ADD COLUMN previous_hash TEXT;
ALTER TABLE sessions ADD COLUMN rotated_at TIMESTAMP;
CREATE UNIQUE INDEX sessions_refresh_hash ON sessions (refresh_hash);
CREATE INDEX sessions_previous_hash ON sessions (previous_hash) WHERE previous_hash IS NOT NULL;

-- Only public room names are unique: a private room's name must not be probed by a clash.
UPDATE rooms SET name_key = NULL WHERE visibility = 'private';
