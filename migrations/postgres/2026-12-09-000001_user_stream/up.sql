-- The per-user change stream: each user's counter, and the log a client resumes from
-- (`sync {after_user_seq}`, `GET /sync`). An entry is the event's frame as it was sent.
ALTER TABLE users ADD COLUMN user_seq BIGINT NOT NULL DEFAULT 0;
CREATE TABLE user_changes (
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    seq        BIGINT NOT NULL,
    event      TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, seq)
);
-- My unsent text per room, shared by my devices; `user_seq` is its latest change's entry.
CREATE TABLE drafts (
    user_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    room_id  BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    body     TEXT NOT NULL,
    user_seq BIGINT NOT NULL,
    PRIMARY KEY (user_id, room_id)
);
