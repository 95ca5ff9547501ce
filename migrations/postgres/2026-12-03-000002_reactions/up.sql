-- A message's reactions as `[{emoji, count, user_ids}]` JSON, in first-use order; NULL for none.
-- Changed only in a transaction that holds the room's change counter (see store::messages::react).
ALTER TABLE messages ADD COLUMN reactions TEXT;
