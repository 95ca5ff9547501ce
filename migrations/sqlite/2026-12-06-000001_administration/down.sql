DROP TABLE audit_log;
DROP TABLE room_bans;
DROP TABLE password_resets;
DROP INDEX sessions_revoked;
ALTER TABLE users DROP COLUMN deactivated_at;
