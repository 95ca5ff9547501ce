-- A thread reply also shown in its room's timeline ("also send to room").
ALTER TABLE messages ADD COLUMN also_to_room BOOLEAN NOT NULL DEFAULT FALSE;
