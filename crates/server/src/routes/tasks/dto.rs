//! Request and response bodies of the task routes, and their conversion to
//! and from the app's inputs and views.

use chrono::{DateTime, Utc};
use gatherhub_app::tasks::{AssignInput, TaskInput, TaskListInput};
use gatherhub_domain::PageRequest;
use gatherhub_domain::task::{Priority, TaskStatus};
use gatherhub_ports::TaskView;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::dto::UserSummaryDto;
use crate::http::nullable::double_option;

/// An absent field is `None`; an explicit `null` on a field that cannot be
/// null is refused under its name rather than silently ignored.
pub(crate) fn non_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer)?
        .map(Some)
        .ok_or_else(|| serde::de::Error::custom("This field may not be null."))
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TaskStatusDto {
    Todo,
    InProgress,
    Done,
}

impl From<TaskStatus> for TaskStatusDto {
    fn from(status: TaskStatus) -> Self {
        match status {
            TaskStatus::Todo => Self::Todo,
            TaskStatus::InProgress => Self::InProgress,
            TaskStatus::Done => Self::Done,
        }
    }
}

#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PriorityDto {
    Low,
    Medium,
    High,
    Urgent,
}

impl From<Priority> for PriorityDto {
    fn from(priority: Priority) -> Self {
        match priority {
            Priority::Low => Self::Low,
            Priority::Medium => Self::Medium,
            Priority::High => Self::High,
            Priority::Urgent => Self::Urgent,
        }
    }
}

/// A task.
#[derive(Debug, Serialize, ToSchema)]
pub struct TaskDto {
    pub id: i64,
    /// The event's id.
    pub event: i64,
    pub title: String,
    pub description: String,
    pub status: TaskStatusDto,
    pub priority: PriorityDto,
    pub due_date: Option<DateTime<Utc>>,
    pub assignee: Option<UserSummaryDto>,
    pub created_by: UserSummaryDto,
    /// Set on entering `done`, cleared on leaving it.
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<TaskView> for TaskDto {
    fn from(view: TaskView) -> Self {
        let task = view.task;
        Self {
            id: task.id.get(),
            event: task.event_id.get(),
            title: task.title,
            description: task.description,
            status: task.status.into(),
            priority: task.priority.into(),
            due_date: task.due_date,
            assignee: view.assignee.map(UserSummaryDto::from),
            created_by: view.created_by.into(),
            completed_at: task.completed_at,
            created_at: task.created_at,
            updated_at: task.updated_at,
        }
    }
}

/// `POST /tasks/`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"event": 1, "title": "Book the venue", "priority": "high", "due_date": "2024-02-10T12:00:00Z", "assignee_id": 2}))]
pub struct CreateTaskRequest {
    /// The event's id; the caller must be one of its going members.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = i64, required = true)]
    pub event: Option<i64>,
    /// 1–200 characters.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = true, min_length = 1, max_length = 200)]
    pub title: Option<String>,
    /// Up to 10 000 characters.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 10000)]
    pub description: Option<String>,
    /// Default `medium`.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = PriorityDto, required = false)]
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable, required = false)]
    pub due_date: Option<Option<DateTime<Utc>>>,
    /// A going member of the event, or null.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable, required = false)]
    pub assignee_id: Option<Option<i64>>,
}

impl CreateTaskRequest {
    pub fn into_input(self) -> TaskInput {
        TaskInput {
            event: self.event,
            title: self.title,
            description: self.description,
            status: None,
            priority: self.priority,
            due_date: self.due_date,
            assignee_id: self.assignee_id,
        }
    }
}

/// `PUT`/`PATCH /tasks/{id}/`: PUT requires `title`; PATCH takes any subset.
/// A task's event cannot change. The assignee may change `status` only.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"status": "in_progress"}))]
pub struct UpdateTaskRequest {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 10000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = TaskStatusDto, required = false)]
    pub status: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = PriorityDto, required = false)]
    pub priority: Option<String>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable, required = false)]
    pub due_date: Option<Option<DateTime<Utc>>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable, required = false)]
    pub assignee_id: Option<Option<i64>>,
}

impl UpdateTaskRequest {
    pub fn into_input(self) -> TaskInput {
        TaskInput {
            event: None,
            title: self.title,
            description: self.description,
            status: self.status,
            priority: self.priority,
            due_date: self.due_date,
            assignee_id: self.assignee_id,
        }
    }
}

/// `POST /tasks/{id}/assign/`: `{"assignee_id": N}` or `{"assignee_id":
/// null}` (unassign); `{}` claims the task for the caller.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"assignee_id": 2}))]
pub struct AssignTaskRequest {
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<i64>, nullable, required = false)]
    pub assignee_id: Option<Option<i64>>,
}

impl AssignTaskRequest {
    pub fn into_input(self) -> AssignInput {
        AssignInput {
            assignee_id: self.assignee_id,
        }
    }
}

/// Filters and ordering of `GET /tasks/`; blank values are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TaskFilterQuery {
    /// Only tasks of this event.
    #[param(value_type = Option<i64>)]
    pub event: Option<String>,
    #[param(value_type = Option<TaskStatusDto>)]
    pub status: Option<String>,
    #[param(value_type = Option<PriorityDto>)]
    pub priority: Option<String>,
    /// A user id, or `me` for the caller.
    #[param(example = "me")]
    pub assignee: Option<String>,
    /// `due_date` before this instant (RFC 3339, or a date meaning its midnight UTC).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub due_before: Option<String>,
    /// `due_date` after this instant.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub due_after: Option<String>,
    /// Case-insensitive text in the title or description.
    pub search: Option<String>,
    /// `due_date`, `-due_date`, `priority`, `-priority`, `created_at` or
    /// `-created_at` (default). Tasks without a due date sort last.
    #[param(example = "-created_at")]
    pub ordering: Option<String>,
}

impl TaskFilterQuery {
    pub fn into_input(self, page: PageRequest) -> TaskListInput {
        TaskListInput {
            event: self.event,
            status: self.status,
            priority: self.priority,
            assignee: self.assignee,
            due_before: self.due_before,
            due_after: self.due_after,
            search: self.search,
            ordering: self.ordering,
            page,
        }
    }
}
