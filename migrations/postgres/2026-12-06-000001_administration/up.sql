-- A deactivated account keeps its messages; it cannot log in (its sessions were revoked).
ALTER TABLE users ADD COLUMN deactivated_at TIMESTAMP;
-- Each node reads the sessions revoked in the last few seconds (ended at the shell, say).
CREATE INDEX sessions_revoked ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
-- One-time password reset links an admin made: the SHA-256 of the token, never the token.
CREATE TABLE password_resets (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at TIMESTAMP NOT NULL,
    used_at    TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX password_resets_user ON password_resets (user_id);
-- Who may not be in a room until unbanned.
CREATE TABLE room_bans (
    room_id    BIGINT NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    banned_by  BIGINT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (room_id, user_id)
);
-- Every admin and moderation action: who (NULL: the command line), what, whom, where, when.
CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    actor_id       BIGINT,
    action         TEXT NOT NULL,
    target_user_id BIGINT,
    room_id        BIGINT,
    detail         TEXT,
    created_at     TIMESTAMP NOT NULL
);
