DROP INDEX memberships_notify_all;
ALTER TABLE memberships DROP COLUMN notify;
ALTER TABLE messages DROP COLUMN mentions_room;
ALTER TABLE messages DROP COLUMN mentions;
DROP INDEX messages_thread;
ALTER TABLE messages DROP COLUMN last_reply_at;
ALTER TABLE messages DROP COLUMN reply_count;
ALTER TABLE messages DROP COLUMN reply_to;
