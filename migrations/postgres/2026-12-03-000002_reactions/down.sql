ALTER TABLE messages DROP COLUMN reactions;
