-- Polls, their options and votes. See the first migration for the conventions.

CREATE TABLE polls (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    multiple_choice BOOLEAN NOT NULL DEFAULT 0 CHECK (multiple_choice IN (0, 1)),
    anonymous BOOLEAN NOT NULL DEFAULT 0 CHECK (anonymous IN (0, 1)),
    ends_at BIGINT,
    closed BOOLEAN NOT NULL DEFAULT 0 CHECK (closed IN (0, 1)),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE INDEX polls_event_id_idx ON polls (event_id);
-- Orderings of the poll list, each with the id tie-breaker.
CREATE INDEX polls_created_at_idx ON polls (created_at, id);
CREATE INDEX polls_ends_at_idx ON polls (ends_at, id);
CREATE INDEX polls_title_idx ON polls (title, id);

CREATE TABLE poll_options (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    text TEXT NOT NULL CHECK (length(text) BETWEEN 1 AND 200),
    position INTEGER NOT NULL
);

-- The target of the votes' composite foreign key: an option of this poll.
CREATE UNIQUE INDEX poll_options_poll_id_id_key ON poll_options (poll_id, id);
CREATE UNIQUE INDEX poll_options_poll_id_position_key ON poll_options (poll_id, position);

-- One row per (voter, chosen option). The id is the order votes were cast in.
CREATE TABLE votes (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    poll_id BIGINT NOT NULL REFERENCES polls (id) ON DELETE CASCADE,
    option_id BIGINT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    -- The option belongs to the very poll the vote is in.
    FOREIGN KEY (poll_id, option_id) REFERENCES poll_options (poll_id, id) ON DELETE CASCADE
);

-- Each user counts at most once per option.
CREATE UNIQUE INDEX votes_poll_id_user_id_option_id_key ON votes (poll_id, user_id, option_id);
-- Tallies per option (and the composite foreign key's child side).
CREATE INDEX votes_poll_id_option_id_idx ON votes (poll_id, option_id);
CREATE INDEX votes_option_id_idx ON votes (option_id);
CREATE INDEX votes_user_id_idx ON votes (user_id);
