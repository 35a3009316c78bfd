//! `TaskRepo`: tasks of events, whose assignee must be a going member.

use chrono::{DateTime, Utc};
use gatherhub_domain::task::{NewTask, Task, TaskChanges, TaskStatus};
use gatherhub_domain::{EventId, Page, TaskId, UserId, ValidationError};
use gatherhub_ports::{Conflict, RepoError, RepoResult, TaskQuery, TaskRepo, TaskView};

use crate::MemoryStore;
use crate::listing;
use crate::state::{State, try_map};

impl State {
    pub(crate) fn task_view(&self, task: &Task) -> RepoResult<TaskView> {
        Ok(TaskView {
            task: task.clone(),
            assignee: task.assignee_id.map(|id| self.summary(id)).transpose()?,
            created_by: self.summary(task.created_by)?,
        })
    }

    /// An assignee, when there is one, is a going member of the task's event now.
    fn check_assignee(&self, event: EventId, assignee: Option<UserId>) -> RepoResult<()> {
        match assignee {
            Some(user) if !self.is_going(event, user) => Err(ValidationError::new(
                "assignee_id",
                "The assignee must be a going member of the event.",
            )
            .into()),
            _ => Ok(()),
        }
    }
}

#[async_trait::async_trait]
impl TaskRepo for MemoryStore {
    async fn create_task(
        &self,
        task: NewTask,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<TaskView> {
        self.write(|s| {
            s.event_row(task.event_id)?;
            s.require_user(created_by)?;
            s.check_assignee(task.event_id, task.assignee_id)?;
            let stored = Task {
                id: TaskId(s.ids.task.next()),
                event_id: task.event_id,
                title: task.title.into_inner(),
                description: task.description.into_inner(),
                status: TaskStatus::Todo,
                priority: task.priority,
                due_date: task.due_date,
                assignee_id: task.assignee_id,
                created_by,
                completed_at: None,
                created_at: now,
                updated_at: now,
            };
            let view = s.task_view(&stored)?;
            s.tasks.insert(stored.id, stored);
            Ok(view)
        })
    }

    async fn get_task(&self, id: TaskId) -> RepoResult<Option<TaskView>> {
        self.read(|s| s.tasks.get(&id).map(|task| s.task_view(task)).transpose())
    }

    async fn list_tasks(&self, query: TaskQuery) -> RepoResult<Page<TaskView>> {
        self.read(|s| {
            try_map(query.page.slice(listing::tasks(s, &query)), |task| {
                s.task_view(task)
            })
        })
    }

    /// Only an assignee given in `changes` is checked: a task is not refused
    /// unrelated changes because its current assignee has since left.
    async fn update_task(
        &self,
        id: TaskId,
        changes: TaskChanges,
        now: DateTime<Utc>,
    ) -> RepoResult<TaskView> {
        self.write(|s| {
            let current = s.tasks.get(&id).ok_or(RepoError::NotFound)?;
            if !changes.precondition_holds(current) {
                return Err(Conflict::TaskAssigned.into());
            }
            if let Some(assignee) = changes.assignee_id {
                s.check_assignee(current.event_id, assignee)?;
            }
            let next = changes.apply(current, now);
            let view = s.task_view(&next)?;
            s.tasks.insert(id, next);
            Ok(view)
        })
    }

    async fn delete_task(&self, id: TaskId) -> RepoResult<()> {
        self.write(|s| s.tasks.remove(&id).map(|_| ()).ok_or(RepoError::NotFound))
    }
}
