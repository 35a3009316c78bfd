-- Tasks of events. See the first migration for the conventions.

CREATE TABLE tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done')),
    -- 0 low, 1 medium, 2 high, 3 urgent: sorting by priority sorts by rank.
    priority SMALLINT NOT NULL DEFAULT 1 CHECK (priority BETWEEN 0 AND 3),
    due_date BIGINT,
    assignee_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    completed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    -- A task carries a completion time exactly while it is done.
    CHECK ((status = 'done') = (completed_at IS NOT NULL))
);

-- Filters of the task list; (event_id, assignee_id) also serves unassigning
-- a member who leaves.
CREATE INDEX tasks_event_id_assignee_id_idx ON tasks (event_id, assignee_id);
CREATE INDEX tasks_assignee_id_idx ON tasks (assignee_id);
CREATE INDEX tasks_status_idx ON tasks (status);
-- Orderings (each with the id tie-breaker); due_date also serves its range filters.
CREATE INDEX tasks_due_date_idx ON tasks (due_date, id);
CREATE INDEX tasks_priority_idx ON tasks (priority, id);
CREATE INDEX tasks_created_at_idx ON tasks (created_at, id);
