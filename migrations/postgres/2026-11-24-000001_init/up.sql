-- Confab schema, PostgreSQL. Keep in step with ../../sqlite (same tables, same columns).

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    username      TEXT NOT NULL,
    -- lower-cased username: uniqueness ignoring case, and prefix search by range (C collation).
    username_key  TEXT COLLATE "C" NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id           BIGSERIAL PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- SHA-256 of the current refresh token; older tokens of the session no longer match.
    refresh_hash TEXT NOT NULL,
    user_agent   TEXT,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE rooms (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL,
    -- lower-cased name; NULL for direct rooms, which are named per viewer.
    name_key   TEXT UNIQUE,
    -- "lowid:highid" for a direct room: makes concurrent creation yield one room.
    direct_key TEXT UNIQUE,
    topic      TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    kind       TEXT NOT NULL CHECK (kind IN ('room', 'direct')),
    -- The change counter: seq of the room's latest message change (create, edit, delete).
    last_seq   BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rooms_public ON rooms (visibility) WHERE visibility = 'public';

CREATE TABLE memberships (
    room_id       BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id       BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role          TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    last_read_seq BIGINT NOT NULL DEFAULT 0,
    joined_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
CREATE INDEX memberships_user_id ON memberships (user_id, room_id);

CREATE TABLE messages (
    id          BIGSERIAL PRIMARY KEY,
    room_id     BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    -- seq of the latest change of this message (its creation, edit or delete).
    updated_seq BIGINT NOT NULL,
    author_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    client_id   TEXT,
    created_at  TIMESTAMP NOT NULL,
    edited_at   TIMESTAMP,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE
);
-- History pages and unread counts walk this index only (author and deleted are included).
CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq) INCLUDE (author_id, deleted);
CREATE UNIQUE INDEX messages_author_client ON messages (author_id, client_id);

-- One row per change of a room's messages, gapless per room: what resume replays.
CREATE TABLE changes (
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    -- 0 created, 1 edited, 2 deleted
    kind       SMALLINT NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX changes_message_id ON changes (message_id);
