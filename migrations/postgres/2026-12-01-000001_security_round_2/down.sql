DROP INDEX sessions_previous_hash;
DROP INDEX sessions_refresh_hash;
ALTER TABLE sessions DROP COLUMN rotated_at;
ALTER TABLE sessions DROP COLUMN previous_hash;
UPDATE rooms SET name_key = lower(name) WHERE visibility = 'private' AND kind = 'room';
