-- Webhooks of rooms, each with an account of its own (a bot named after the hook, a member of
-- the room). An incoming one posts at a secret address whose token only the hash of is kept; an
-- outgoing one has a target, the secret its deliveries are signed with, and a cursor: the room
-- seq of the last message delivered.
CREATE TABLE webhooks (
    id         BIGSERIAL PRIMARY KEY,
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    token_hash TEXT UNIQUE,
    target_url TEXT,
    secret     TEXT,
    cursor     BIGINT NOT NULL DEFAULT 0,
    failures   BIGINT NOT NULL DEFAULT 0,
    last_error TEXT,
    disabled_at TIMESTAMP,
    leased_until TIMESTAMP,
    lease_owner BIGINT,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_room ON webhooks (room_id);
-- The name a webhook post asked to be shown under (Slack's `username`).
ALTER TABLE messages ADD COLUMN posted_as TEXT;
