//! What callers send to the task use cases, and how it becomes domain values.

use chrono::{DateTime, Utc};
use gatherhub_domain::task::{Priority, Task, TaskChanges, TaskDescription, TaskStatus, TaskTitle};
use gatherhub_domain::{FieldErrors, PageRequest, UserId, ValidationError};
use gatherhub_ports::{TaskFilter, TaskOrdering};

use super::params;

/// A task body for create, PUT and PATCH. `None` is an absent field; the
/// doubly optional fields can also be set to null.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskInput {
    /// Required on create; read-only afterwards (a task never moves).
    pub event: Option<i64>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// Ignored on create: a new task starts `todo`.
    pub status: Option<String>,
    pub priority: Option<String>,
    pub due_date: Option<Option<DateTime<Utc>>>,
    pub assignee_id: Option<Option<i64>>,
}

/// `POST /tasks/{id}/assign/`: absent means the caller, null means nobody.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AssignInput {
    pub assignee_id: Option<Option<i64>>,
}

/// The query string of the task list, unparsed.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskListInput {
    pub event: Option<String>,
    pub status: Option<String>,
    pub priority: Option<String>,
    /// A user id or `me`.
    pub assignee: Option<String>,
    pub due_before: Option<String>,
    pub due_after: Option<String>,
    pub search: Option<String>,
    pub ordering: Option<String>,
    pub page: PageRequest,
}

impl Default for TaskListInput {
    fn default() -> Self {
        Self {
            event: None,
            status: None,
            priority: None,
            assignee: None,
            due_before: None,
            due_after: None,
            search: None,
            ordering: None,
            page: PageRequest::first(),
        }
    }
}

pub(crate) const ORDERINGS: &[(&str, TaskOrdering)] = &[
    ("due_date", TaskOrdering::DueDate),
    ("-due_date", TaskOrdering::DueDateDesc),
    ("priority", TaskOrdering::Priority),
    ("-priority", TaskOrdering::PriorityDesc),
    ("created_at", TaskOrdering::CreatedAt),
    ("-created_at", TaskOrdering::CreatedAtDesc),
];

/// A user id from a body: ids are positive.
pub(crate) fn user_id(errors: &mut FieldErrors, field: &str, id: i64) -> Option<UserId> {
    if id >= 1 {
        Some(UserId(id))
    } else {
        errors.add(
            field,
            format!("Invalid pk \"{id}\" - object does not exist."),
        );
        None
    }
}

/// Every field of `input` except `event`, as changes; `require_title` is set
/// for create and PUT. Errors are collected into `errors`.
pub(crate) fn changes(
    input: &TaskInput,
    require_title: bool,
    errors: &mut FieldErrors,
) -> TaskChanges {
    let title = match &input.title {
        Some(title) => errors.check(TaskTitle::parse(title)),
        None => {
            if require_title {
                errors.push(ValidationError::required("title"));
            }
            None
        }
    };
    let assignee_id = match input.assignee_id {
        Some(Some(id)) => user_id(errors, "assignee_id", id).map(Some),
        Some(None) => Some(None),
        None => None,
    };
    TaskChanges {
        title,
        description: input
            .description
            .as_deref()
            .and_then(|d| errors.check(TaskDescription::parse(d))),
        status: input
            .status
            .as_deref()
            .and_then(|s| errors.check(TaskStatus::parse("status", s))),
        priority: input
            .priority
            .as_deref()
            .and_then(|p| errors.check(Priority::parse("priority", p))),
        due_date: input.due_date,
        assignee_id,
        only_if_unassigned: false,
    }
}

/// The part of `changes` that would actually change `task`: sending a field
/// back unchanged (a PUT of the whole task) is not a change.
pub(crate) fn effective(changes: TaskChanges, task: &Task) -> TaskChanges {
    TaskChanges {
        title: changes.title.filter(|t| t.as_str() != task.title),
        description: changes
            .description
            .filter(|d| d.as_str() != task.description),
        status: changes.status,
        priority: changes.priority.filter(|p| *p != task.priority),
        due_date: changes.due_date.filter(|d| *d != task.due_date),
        assignee_id: changes.assignee_id.filter(|a| *a != task.assignee_id),
        only_if_unassigned: changes.only_if_unassigned,
    }
}

/// The list query as a filter and an ordering; `me` is `caller`.
pub(crate) fn list_query(
    input: &TaskListInput,
    caller: UserId,
) -> Result<(TaskFilter, TaskOrdering), FieldErrors> {
    let mut errors = FieldErrors::new();
    let assignee = match params::present(input.assignee.as_deref()) {
        Some(value) if value.eq_ignore_ascii_case("me") => Some(caller),
        value => params::id(&mut errors, "assignee", value).map(UserId),
    };
    let filter = TaskFilter {
        event: params::id(&mut errors, "event", input.event.as_deref())
            .map(gatherhub_domain::EventId),
        status: params::parsed(&mut errors, input.status.as_deref(), |s| {
            TaskStatus::parse("status", s)
        }),
        priority: params::parsed(&mut errors, input.priority.as_deref(), |p| {
            Priority::parse("priority", p)
        }),
        assignee,
        due_before: params::instant(&mut errors, "due_before", input.due_before.as_deref()),
        due_after: params::instant(&mut errors, "due_after", input.due_after.as_deref()),
        search: params::present(input.search.as_deref()).map(str::to_owned),
    };
    let ordering = params::choice(
        &mut errors,
        "ordering",
        input.ordering.as_deref(),
        ORDERINGS,
    )
    .unwrap_or_default();
    errors.into_result().map(|()| (filter, ordering))
}
