DROP TABLE drafts;
DROP TABLE user_changes;
ALTER TABLE users DROP COLUMN user_seq;
