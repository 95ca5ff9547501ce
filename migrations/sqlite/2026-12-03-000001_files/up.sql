-- Files uploaded to rooms. A row outlives its message and its room until its stored object is
-- purged (`deleted_at` set, then the object removed, then the row), so no foreign key cascades
-- it away with an object still in storage.
CREATE TABLE files (
    id           INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    room_id      BIGINT NOT NULL,
    uploader_id  BIGINT NOT NULL REFERENCES users (id),
    message_id   BIGINT,
    name         TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size         BIGINT NOT NULL,
    width        BIGINT,
    height       BIGINT,
    sha256       TEXT NOT NULL,
    storage_key  TEXT NOT NULL UNIQUE,
    created_at   TIMESTAMP NOT NULL,
    deleted_at   TIMESTAMP
);
CREATE INDEX files_message ON files (message_id) WHERE message_id IS NOT NULL;
CREATE INDEX files_unattached ON files (created_at) WHERE message_id IS NULL AND deleted_at IS NULL;
CREATE INDEX files_deleted ON files (deleted_at) WHERE deleted_at IS NOT NULL;

-- A message's attachments as `[File]` JSON: immutable once sent (cleared when the message is
-- deleted), so every read of a message carries them without a join.
ALTER TABLE messages ADD COLUMN attachments TEXT;
