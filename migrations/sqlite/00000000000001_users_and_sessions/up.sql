-- Accounts and login sessions.
--
-- Conventions of every SQLite migration here:
-- * Instants are BIGINT microseconds since the Unix epoch (UTC). Integers
--   compare and sort exactly chronologically, at the microsecond precision
--   every GatherHub store keeps; a TEXT timestamp sorts correctly only while
--   every writer uses one fixed format and fraction width, which nothing in
--   SQLite enforces.
-- * Ids are `INTEGER PRIMARY KEY AUTOINCREMENT`: an alias of the rowid (fast
--   lookups) that is never handed out twice, even after the newest row is
--   deleted, as the other stores' sequences behave.
-- * Text compares byte-wise (SQLite's BINARY collation), so title ordering
--   matches the in-memory store's `str` ordering.

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    username TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    first_name TEXT NOT NULL DEFAULT '',
    last_name TEXT NOT NULL DEFAULT '',
    bio TEXT NOT NULL DEFAULT '',
    avatar_url TEXT,
    is_staff BOOLEAN NOT NULL DEFAULT 0 CHECK (is_staff IN (0, 1)),
    is_active BOOLEAN NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    date_joined BIGINT NOT NULL,
    last_login BIGINT
);

-- Uniqueness ignoring case. SQLite's lower() folds ASCII only, which is exact
-- here: the domain admits ASCII usernames and email addresses only.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    refresh_jti TEXT NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- Revoking every session of a user.
CREATE INDEX sessions_user_id_idx ON sessions (user_id, created_at);
