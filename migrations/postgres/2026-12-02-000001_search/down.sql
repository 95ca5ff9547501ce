DROP INDEX messages_search;
ALTER TABLE messages DROP COLUMN search;
DROP FUNCTION confab_search_vector(text);
DROP FUNCTION confab_unaccent(text);
