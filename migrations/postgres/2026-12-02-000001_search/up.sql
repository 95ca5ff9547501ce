-- Full-text search of message bodies: a stored generated tsvector (computed in the same
-- statement as every write of a body) with a GIN index. Words are runs of letters and digits of
-- any script (everything else becomes a space first, so URLs, e-mail addresses and paths are
-- words too, as in SQLite's unicode61 and the query parser); the `simple` configuration folds
-- case without stemming, so it treats every language alike; `unaccent` folds accents
-- ("café" = "cafe"). unaccent() is only STABLE (its rules file could change), and a generated
-- column needs an IMMUTABLE expression: `confab_search_vector` pins the dictionary. After
-- changing the unaccent rules, run `confab reindex`.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION confab_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT public.unaccent('public.unaccent'::regdictionary, $1) $$;

CREATE FUNCTION confab_search_vector(text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT to_tsvector('pg_catalog.simple'::regconfig,
                             regexp_replace(confab_unaccent($1), '[^[:alnum:]]+', ' ', 'g')) $$;

ALTER TABLE messages ADD COLUMN search tsvector GENERATED ALWAYS AS (confab_search_vector(body)) STORED;
CREATE INDEX messages_search ON messages USING gin (search);
