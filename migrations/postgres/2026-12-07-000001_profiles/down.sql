DROP TABLE server_settings;
ALTER TABLE users DROP COLUMN avatar_key;
ALTER TABLE users DROP COLUMN status;
ALTER TABLE users DROP COLUMN display_name;
