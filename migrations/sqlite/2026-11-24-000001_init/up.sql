-- Confab schema, SQLite. Keep in step with ../../postgres (same tables, same columns).

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL
);

CREATE TABLE sessions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_hash TEXT NOT NULL,
    user_agent   TEXT,
    created_at   TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    revoked_at   TIMESTAMP
);
CREATE INDEX sessions_user_id ON sessions (user_id);

CREATE TABLE rooms (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL,
    name_key   TEXT UNIQUE,
    direct_key TEXT UNIQUE,
    topic      TEXT NOT NULL DEFAULT '',
    visibility TEXT NOT NULL CHECK (visibility IN ('public', 'private')),
    kind       TEXT NOT NULL CHECK (kind IN ('room', 'direct')),
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
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    room_id     BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq         BIGINT NOT NULL,
    updated_seq BIGINT NOT NULL,
    author_id   BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    body        TEXT NOT NULL,
    client_id   TEXT,
    created_at  TIMESTAMP NOT NULL,
    edited_at   TIMESTAMP,
    deleted     BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX messages_room_seq ON messages (room_id, seq);
-- Covering index for unread counts (SQLite has no INCLUDE).
CREATE INDEX messages_room_seq_unread ON messages (room_id, seq, author_id, deleted);
CREATE UNIQUE INDEX messages_author_client ON messages (author_id, client_id);

CREATE TABLE changes (
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    message_id BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    kind       SMALLINT NOT NULL,
    PRIMARY KEY (room_id, seq)
);
CREATE INDEX changes_message_id ON changes (message_id);
