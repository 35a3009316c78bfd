-- Events and who is going or waiting. See the first migration for the
-- conventions (BIGINT microsecond instants, AUTOINCREMENT ids).

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    date BIGINT NOT NULL,
    end_date BIGINT CHECK (end_date IS NULL OR end_date >= date),
    location TEXT NOT NULL DEFAULT '',
    max_participants INTEGER CHECK (max_participants IS NULL OR max_participants BETWEEN 1 AND 100000),
    visibility TEXT NOT NULL DEFAULT 'public' CHECK (visibility IN ('public', 'private')),
    cancelled BOOLEAN NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1)),
    organizer_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The orderings of the event list (each with the id tie-breaker) and its filters.
CREATE INDEX events_date_idx ON events (date, id);
CREATE INDEX events_created_at_idx ON events (created_at, id);
CREATE INDEX events_title_idx ON events (title, id);
CREATE INDEX events_organizer_id_idx ON events (organizer_id);
CREATE INDEX events_visibility_idx ON events (visibility);

-- One row per member. `seq` is the join order within the event: going
-- members are listed and the waitlist is promoted in `seq` order, and a
-- waitlisted member's position is the number of waitlisted rows up to theirs.
CREATE TABLE memberships (
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('organizer', 'member')),
    status TEXT NOT NULL CHECK (status IN ('going', 'waitlisted')),
    seq BIGINT NOT NULL,
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (event_id, user_id),
    CHECK (role = 'member' OR status = 'going')
);

CREATE UNIQUE INDEX memberships_event_seq_key ON memberships (event_id, seq);
-- Counting going and waitlisted members, and walking the waitlist in order.
CREATE INDEX memberships_event_status_seq_idx ON memberships (event_id, status, seq);
-- "Events I joined" and visibility checks by member.
CREATE INDEX memberships_user_id_idx ON memberships (user_id, status);
-- An event has exactly one organizer.
CREATE UNIQUE INDEX memberships_one_organizer_key ON memberships (event_id) WHERE role = 'organizer';
