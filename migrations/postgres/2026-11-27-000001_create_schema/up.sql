-- GatherHub's PostgreSQL schema. The constraints carry the invariants: the
-- adapter maps their NAMES to the ports' errors (crates/adapters/postgres/src/
-- error.rs), so rename a constraint only together with that table.
-- Ids are bigint identities; instants are timestamptz (microseconds, as the
-- ports' clock keeps them).

CREATE TABLE users (
    id            bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text        NOT NULL,
    email         text        NOT NULL,
    password_hash text        NOT NULL,
    first_name    text        NOT NULL DEFAULT '',
    last_name     text        NOT NULL DEFAULT '',
    bio           text        NOT NULL DEFAULT '',
    avatar_url    text,
    is_staff      boolean     NOT NULL DEFAULT false,
    is_active     boolean     NOT NULL DEFAULT true,
    date_joined   timestamptz NOT NULL,
    last_login    timestamptz
);
-- Usernames and emails are unique ignoring case; lookups use the same
-- expressions so that they use these indexes.
CREATE UNIQUE INDEX users_username_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE sessions (
    id          text        PRIMARY KEY,
    user_id     bigint      NOT NULL,
    refresh_jti text        NOT NULL,
    revoked     boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    CONSTRAINT sessions_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id);

CREATE TABLE events (
    id               bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title            text        NOT NULL,
    description      text        NOT NULL DEFAULT '',
    date             timestamptz NOT NULL,
    end_date         timestamptz,
    location         text        NOT NULL DEFAULT '',
    max_participants integer,
    visibility       text        NOT NULL DEFAULT 'public',
    cancelled        boolean     NOT NULL DEFAULT false,
    organizer_id     bigint      NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CONSTRAINT events_organizer_id_fkey FOREIGN KEY (organizer_id) REFERENCES users (id),
    CONSTRAINT events_visibility_check CHECK (visibility IN ('public', 'private')),
    CONSTRAINT events_max_participants_check CHECK (max_participants BETWEEN 1 AND 100000),
    CONSTRAINT events_end_date_check CHECK (end_date >= date)
);
-- Every ordering of the list, each with the id tie-breaker; descending orders
-- scan these backwards. Titles order byte-wise ("C"), as Rust strings do.
CREATE INDEX events_created_at_idx ON events (created_at, id);
CREATE INDEX events_date_idx ON events (date, id);
CREATE INDEX events_title_idx ON events (title COLLATE "C", id);
CREATE INDEX events_organizer_id_idx ON events (organizer_id);
CREATE INDEX events_visibility_idx ON events (visibility);

-- One row per member of an event. `seq` is drawn while the event row is
-- locked, so within an event it is the join order: the FIFO of the waitlist.
CREATE TABLE memberships (
    event_id  bigint      NOT NULL,
    user_id   bigint      NOT NULL,
    role      text        NOT NULL,
    status    text        NOT NULL,
    seq       bigint      GENERATED ALWAYS AS IDENTITY,
    joined_at timestamptz NOT NULL,
    CONSTRAINT memberships_pkey PRIMARY KEY (event_id, user_id),
    CONSTRAINT memberships_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
    CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT memberships_role_check CHECK (role IN ('organizer', 'member')),
    CONSTRAINT memberships_status_check CHECK (status IN ('going', 'waitlisted')),
    CONSTRAINT memberships_organizer_going_check CHECK (role = 'member' OR status = 'going')
);
CREATE UNIQUE INDEX memberships_one_organizer_key ON memberships (event_id) WHERE role = 'organizer';
-- Counts per status, the waitlist in order, members going-then-waitlisted.
CREATE INDEX memberships_queue_idx ON memberships (event_id, status, seq);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);

CREATE TABLE tasks (
    id           bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id     bigint      NOT NULL,
    title        text        NOT NULL,
    description  text        NOT NULL DEFAULT '',
    status       text        NOT NULL DEFAULT 'todo',
    priority     smallint    NOT NULL DEFAULT 1,
    due_date     timestamptz,
    assignee_id  bigint,
    created_by   bigint      NOT NULL,
    completed_at timestamptz,
    created_at   timestamptz NOT NULL,
    updated_at   timestamptz NOT NULL,
    CONSTRAINT tasks_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
    -- An assignee is a member of the task's own event (going is checked by the
    -- adapter under the event's lock); leaving unassigns first.
    CONSTRAINT tasks_assignee_fkey FOREIGN KEY (event_id, assignee_id)
        REFERENCES memberships (event_id, user_id),
    CONSTRAINT tasks_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id),
    CONSTRAINT tasks_status_check CHECK (status IN ('todo', 'in_progress', 'done')),
    -- 0 low, 1 medium, 2 high, 3 urgent: sorting by it sorts by urgency.
    CONSTRAINT tasks_priority_check CHECK (priority BETWEEN 0 AND 3),
    CONSTRAINT tasks_completed_at_check CHECK ((status = 'done') = (completed_at IS NOT NULL))
);
CREATE INDEX tasks_event_assignee_idx ON tasks (event_id, assignee_id);
CREATE INDEX tasks_assignee_id_idx ON tasks (assignee_id);
CREATE INDEX tasks_due_date_idx ON tasks (due_date, id);
CREATE INDEX tasks_priority_idx ON tasks (priority, id);
CREATE INDEX tasks_created_at_idx ON tasks (created_at, id);

CREATE TABLE polls (
    id              bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id        bigint      NOT NULL,
    title           text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    multiple_choice boolean     NOT NULL DEFAULT false,
    anonymous       boolean     NOT NULL DEFAULT false,
    ends_at         timestamptz,
    closed          boolean     NOT NULL DEFAULT false,
    created_by      bigint      NOT NULL,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    CONSTRAINT polls_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id) ON DELETE CASCADE,
    CONSTRAINT polls_created_by_fkey FOREIGN KEY (created_by) REFERENCES users (id)
);
CREATE INDEX polls_event_id_idx ON polls (event_id);
CREATE INDEX polls_created_at_idx ON polls (created_at, id);
CREATE INDEX polls_ends_at_idx ON polls (ends_at, id);
CREATE INDEX polls_title_idx ON polls (title COLLATE "C", id);

CREATE TABLE poll_options (
    id       bigint  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id  bigint  NOT NULL,
    text     text    NOT NULL,
    position integer NOT NULL,
    CONSTRAINT poll_options_poll_id_fkey FOREIGN KEY (poll_id) REFERENCES polls (id) ON DELETE CASCADE,
    -- The target of votes_option_fkey.
    CONSTRAINT poll_options_poll_id_id_key UNIQUE (poll_id, id),
    CONSTRAINT poll_options_poll_id_position_key UNIQUE (poll_id, position),
    CONSTRAINT poll_options_position_check CHECK (position >= 0)
);

-- One row per (user, chosen option). The id orders votes as they were cast.
CREATE TABLE votes (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    poll_id    bigint      NOT NULL,
    option_id  bigint      NOT NULL,
    user_id    bigint      NOT NULL,
    created_at timestamptz NOT NULL,
    -- Through (poll_id, option_id) a vote can never point at another poll's option.
    CONSTRAINT votes_option_fkey FOREIGN KEY (poll_id, option_id)
        REFERENCES poll_options (poll_id, id) ON DELETE CASCADE,
    CONSTRAINT votes_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    -- Also serves lookups of one user's ballot by (poll_id, user_id).
    CONSTRAINT votes_poll_id_user_id_option_id_key UNIQUE (poll_id, user_id, option_id)
);
-- Tallies per option and voters in option-then-vote order.
CREATE INDEX votes_poll_option_idx ON votes (poll_id, option_id, id);
