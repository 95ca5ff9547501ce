ALTER TABLE messages DROP COLUMN posted_as;
DROP TABLE webhooks;
