//! Tasks of an event: statuses, priorities, completion time and who may change what.

use chrono::{DateTime, Utc};

use crate::access::Actor;
use crate::text::bounded_text;
use crate::{EventId, TaskId, UserId, ValidationError};

bounded_text!(
    /// 1–200 characters.
    TaskTitle, "title", 1, 200
);
bounded_text!(
    /// Up to 10 000 characters.
    TaskDescription, "description", 0, 10_000
);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TaskStatus {
    #[default]
    Todo,
    InProgress,
    Done,
}

impl TaskStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Todo => "todo",
            Self::InProgress => "in_progress",
            Self::Done => "done",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        match value {
            "todo" => Ok(Self::Todo),
            "in_progress" => Ok(Self::InProgress),
            "done" => Ok(Self::Done),
            other => Err(ValidationError::new(
                field,
                format!("\"{other}\" is not a valid choice."),
            )),
        }
    }
}

/// Ordered from least to most pressing, so sorting by priority is sorting by rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Priority {
    Low,
    #[default]
    Medium,
    High,
    Urgent,
}

impl Priority {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Urgent => "urgent",
        }
    }

    /// 0 (low) to 3 (urgent): how priorities are stored and sorted.
    pub fn rank(self) -> i16 {
        match self {
            Self::Low => 0,
            Self::Medium => 1,
            Self::High => 2,
            Self::Urgent => 3,
        }
    }

    pub fn from_rank(rank: i16) -> Option<Self> {
        [Self::Low, Self::Medium, Self::High, Self::Urgent]
            .get(usize::try_from(rank).ok()?)
            .copied()
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, ValidationError> {
        match value {
            "low" => Ok(Self::Low),
            "medium" => Ok(Self::Medium),
            "high" => Ok(Self::High),
            "urgent" => Ok(Self::Urgent),
            other => Err(ValidationError::new(
                field,
                format!("\"{other}\" is not a valid choice."),
            )),
        }
    }
}

/// A stored task.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    pub id: TaskId,
    pub event_id: EventId,
    pub title: String,
    pub description: String,
    pub status: TaskStatus,
    pub priority: Priority,
    pub due_date: Option<DateTime<Utc>>,
    pub assignee_id: Option<UserId>,
    pub created_by: UserId,
    pub completed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// `completed_at` after moving from `from` to `to`: set on entering `done`,
/// cleared on leaving it, kept otherwise.
pub fn completed_at(
    from: TaskStatus,
    to: TaskStatus,
    current: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match (from == TaskStatus::Done, to == TaskStatus::Done) {
        (false, true) => Some(now),
        (true, false) => None,
        _ => current,
    }
}

/// A validated new task.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTask {
    pub event_id: EventId,
    pub title: TaskTitle,
    pub description: TaskDescription,
    pub priority: Priority,
    pub due_date: Option<DateTime<Utc>>,
    pub assignee_id: Option<UserId>,
}

/// A partial update; doubly optional fields can be set to null.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TaskChanges {
    pub title: Option<TaskTitle>,
    pub description: Option<TaskDescription>,
    pub status: Option<TaskStatus>,
    pub priority: Option<Priority>,
    pub due_date: Option<Option<DateTime<Utc>>>,
    pub assignee_id: Option<Option<UserId>>,
    /// Apply only while the task has no assignee: a member claiming a task
    /// must not take it from whoever claimed it a moment earlier.
    pub only_if_unassigned: bool,
}

impl TaskChanges {
    /// Whether these changes may apply to `current` (checked by the store
    /// under the same lock as the write).
    pub fn precondition_holds(&self, current: &Task) -> bool {
        !self.only_if_unassigned || current.assignee_id.is_none()
    }

    /// Only `status` is set: what an assignee may change.
    pub fn is_status_only(&self) -> bool {
        self.title.is_none()
            && self.description.is_none()
            && self.priority.is_none()
            && self.due_date.is_none()
            && self.assignee_id.is_none()
    }

    pub fn apply(&self, task: &Task, now: DateTime<Utc>) -> Task {
        let mut next = task.clone();
        if let Some(title) = &self.title {
            next.title = title.as_str().to_owned();
        }
        if let Some(description) = &self.description {
            next.description = description.as_str().to_owned();
        }
        if let Some(status) = self.status {
            next.completed_at = completed_at(task.status, status, task.completed_at, now);
            next.status = status;
        }
        if let Some(priority) = self.priority {
            next.priority = priority;
        }
        if let Some(due) = self.due_date {
            next.due_date = due;
        }
        if let Some(assignee) = self.assignee_id {
            next.assignee_id = assignee;
        }
        next.updated_at = now;
        next
    }
}

/// How the caller relates to a task, for permission checks.
#[derive(Debug, Clone, Copy)]
pub struct TaskRelation {
    pub is_staff: bool,
    pub is_organizer: bool,
    pub is_creator: bool,
    pub is_assignee: bool,
    pub is_going: bool,
}

impl TaskRelation {
    pub fn of(actor: &Actor, task: &Task, organizer: UserId, is_going: bool) -> Self {
        Self {
            is_staff: actor.is_staff,
            is_organizer: actor.user_id == organizer,
            is_creator: actor.user_id == task.created_by,
            is_assignee: task.assignee_id == Some(actor.user_id),
            is_going,
        }
    }

    /// The organizer, the task's creator and staff change any field and delete.
    pub fn can_manage(&self) -> bool {
        self.is_staff || self.is_organizer || self.is_creator
    }

    /// Managers change anything; the assignee changes `status` only.
    pub fn can_update(&self, changes: &TaskChanges) -> bool {
        self.can_manage() || (self.is_assignee && changes.is_status_only())
    }

    pub fn can_complete(&self) -> bool {
        self.can_manage() || self.is_assignee
    }

    /// Managers assign anyone (or nobody); a going member may claim an
    /// unassigned task for themselves.
    pub fn can_assign(&self, task: &Task, actor: UserId, to: Option<UserId>) -> bool {
        self.can_manage() || (self.is_going && task.assignee_id.is_none() && to == Some(actor))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn completion_time_follows_done() {
        let now = Utc::now();
        let earlier = now - Duration::hours(1);
        assert_eq!(
            completed_at(TaskStatus::Todo, TaskStatus::Done, None, now),
            Some(now)
        );
        assert_eq!(
            completed_at(TaskStatus::Done, TaskStatus::Done, Some(earlier), now),
            Some(earlier)
        );
        assert_eq!(
            completed_at(TaskStatus::Done, TaskStatus::InProgress, Some(earlier), now),
            None
        );
        assert_eq!(
            completed_at(TaskStatus::Todo, TaskStatus::InProgress, None, now),
            None
        );
    }

    #[test]
    fn priority_ranks_round_trip_and_order() {
        for p in [
            Priority::Low,
            Priority::Medium,
            Priority::High,
            Priority::Urgent,
        ] {
            assert_eq!(Priority::from_rank(p.rank()), Some(p));
        }
        assert!(Priority::Urgent > Priority::Low);
        assert_eq!(Priority::from_rank(4), None);
    }

    #[test]
    fn assignee_may_change_status_only() {
        let rel = TaskRelation {
            is_staff: false,
            is_organizer: false,
            is_creator: false,
            is_assignee: true,
            is_going: true,
        };
        let status = TaskChanges {
            status: Some(TaskStatus::Done),
            ..Default::default()
        };
        let title = TaskChanges {
            title: Some(TaskTitle::parse("x").unwrap()),
            ..Default::default()
        };
        assert!(rel.can_update(&status));
        assert!(!rel.can_update(&title));
        assert!(rel.can_complete() && !rel.can_manage());
    }
}
