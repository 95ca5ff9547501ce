-- Accounts for integrations, made by admins (`POST /bots`); their API tokens are sessions.
ALTER TABLE users ADD COLUMN bot BOOLEAN NOT NULL DEFAULT 0;
