-- Threads: a reply's root (NULL for messages of the room's timeline), and a root's count of
-- live replies and when the latest came. Changed only in a transaction that holds the room's
-- change counter (see store::messages).
ALTER TABLE messages ADD COLUMN reply_to BIGINT;
ALTER TABLE messages ADD COLUMN reply_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN last_reply_at TIMESTAMP;
CREATE INDEX messages_thread ON messages (reply_to, seq) WHERE reply_to IS NOT NULL;
-- Mentions: the ids of the members a message mentions, in order, as ",3,17," (NULL for none), so
-- that one LIKE tests one id when counting a reader's unread mentions; and whether it says @room.
ALTER TABLE messages ADD COLUMN mentions TEXT;
ALTER TABLE messages ADD COLUMN mentions_room BOOLEAN NOT NULL DEFAULT FALSE;
-- Which of the room's messages notify the member: 'all', 'mentions' or 'none' (direct rooms: all).
ALTER TABLE memberships ADD COLUMN notify TEXT NOT NULL DEFAULT 'mentions';
UPDATE memberships SET notify = 'all' WHERE room_id IN (SELECT id FROM rooms WHERE kind = 'direct');
-- The members who hear of every message: read by every batch of sends, so kept small.
CREATE INDEX memberships_notify_all ON memberships (room_id) WHERE notify = 'all';
