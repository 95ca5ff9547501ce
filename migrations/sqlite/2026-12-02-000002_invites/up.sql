-- Server roles and invitations. The oldest account of an existing server becomes its admin.
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'member';
UPDATE users SET role = 'admin' WHERE id = (SELECT MIN(id) FROM users);

CREATE TABLE invites (
    code        TEXT PRIMARY KEY NOT NULL,
    created_by  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    max_uses    BIGINT,
    uses        BIGINT NOT NULL DEFAULT 0,
    expires_at  TIMESTAMP,
    revoked_at  TIMESTAMP,
    created_at  TIMESTAMP NOT NULL
);
