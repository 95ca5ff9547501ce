ALTER TABLE messages DROP COLUMN also_to_room;
