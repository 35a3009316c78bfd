//! Tasks of events.

use chrono::{DateTime, Utc};
use gatherhub_domain::access::Actor;
use gatherhub_domain::task::{NewTask, Priority, Task, TaskChanges, TaskStatus};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, Page, PageRequest, TaskId, UserId};

use crate::RepoResult;

#[derive(Debug, Clone, PartialEq)]
pub struct TaskView {
    pub task: Task,
    pub assignee: Option<UserSummary>,
    pub created_by: UserSummary,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskFilter {
    pub event: Option<EventId>,
    pub status: Option<TaskStatus>,
    pub priority: Option<Priority>,
    pub assignee: Option<UserId>,
    /// `due_date < due_before` (tasks without a due date never match).
    pub due_before: Option<DateTime<Utc>>,
    /// `due_date > due_after`.
    pub due_after: Option<DateTime<Utc>>,
    /// Case-insensitive substring of title or description.
    pub search: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskOrdering {
    /// Tasks without a due date last.
    DueDate,
    /// Tasks without a due date last.
    DueDateDesc,
    Priority,
    PriorityDesc,
    CreatedAt,
    #[default]
    CreatedAtDesc,
}

/// A page of the tasks of events where `actor` is a going member (all tasks
/// for staff); ties broken by id.
#[derive(Debug, Clone)]
pub struct TaskQuery {
    pub actor: Actor,
    pub filter: TaskFilter,
    pub ordering: TaskOrdering,
    pub page: PageRequest,
}

#[async_trait::async_trait]
pub trait TaskRepo: Send + Sync {
    /// Stores a task created by `created_by`. MUST return `NotFound` when the
    /// event is gone, and `Invalid` (field `assignee_id`) when the assignee is not
    /// a going member of the event at that moment.
    async fn create_task(
        &self,
        task: NewTask,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<TaskView>;

    async fn get_task(&self, id: TaskId) -> RepoResult<Option<TaskView>>;

    async fn list_tasks(&self, query: TaskQuery) -> RepoResult<Page<TaskView>>;

    /// Applies `changes` (setting or clearing `completed_at` as the status
    /// moves). MUST return `NotFound` and `Invalid` (field `assignee_id`) as
    /// `create_task` does, and `Conflict(TaskAssigned)` when
    /// `changes.precondition_holds` fails, checked atomically with the write
    /// (of many concurrent claims of one task exactly one succeeds).
    async fn update_task(
        &self,
        id: TaskId,
        changes: TaskChanges,
        now: DateTime<Utc>,
    ) -> RepoResult<TaskView>;

    /// MUST return `NotFound` for a missing task.
    async fn delete_task(&self, id: TaskId) -> RepoResult<()>;
}
