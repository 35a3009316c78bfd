//! TaskService: the tasks of an event, seen by its going members and staff,
//! managed by the organizer, the task's creator and staff, moved along by
//! their assignee, and claimed by any going member while unassigned.

mod input;
pub(crate) mod params;

use gatherhub_domain::access::{self, Actor};
use gatherhub_domain::task::{NewTask, TaskChanges, TaskDescription, TaskRelation, TaskStatus};
use gatherhub_domain::{EventId, FieldErrors, Page, TaskId, UserId};
use gatherhub_ports::{Conflict, EventView, Kind, NoticeData, RepoError, TaskQuery, TaskView};

pub use input::{AssignInput, TaskInput, TaskListInput};

use crate::{AppError, AppResult, Deps, notify, scope};

const NOT_ASSIGNEE_MESSAGE: &str = "The assignee must be a going member of the event.";

#[derive(Clone)]
pub struct TaskService {
    deps: Deps,
}

impl TaskService {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// A new task in an event where the caller is a going member.
    pub async fn create(&self, actor: &Actor, input: TaskInput) -> AppResult<TaskView> {
        let mut errors = FieldErrors::new();
        let event = scope::parent_event(
            &self.deps,
            actor,
            input.event,
            &mut errors,
            "Only going members of the event may create tasks.",
        )
        .await?;
        let fields = input::changes(&input, true, &mut errors);
        if let (Some(event), Some(Some(assignee))) = (&event, fields.assignee_id) {
            self.check_assignee(event.event.id, assignee, &mut errors)
                .await?;
        }
        let description = match fields.description {
            Some(description) => Some(description),
            None => errors.check(TaskDescription::parse("")),
        };
        errors.into_result()?;
        let (Some(event), Some(title), Some(description)) = (event, fields.title, description)
        else {
            // Unreachable: each was required or defaulted above without error.
            return Err(AppError::field("event", "Invalid event."));
        };
        let task = NewTask {
            event_id: event.event.id,
            title,
            description,
            priority: fields.priority.unwrap_or_default(),
            due_date: fields.due_date.flatten(),
            assignee_id: fields.assignee_id.flatten(),
        };
        let now = self.deps.clock.now();
        match self
            .deps
            .repos
            .tasks
            .create_task(task, actor.user_id, now)
            .await
        {
            // The event was deleted between the check and the insert.
            Err(RepoError::NotFound) => Err(AppError::field("event", "Invalid event.")),
            other => Ok(self.announce(Kind::TaskCreated, other?).await),
        }
    }

    pub async fn get(&self, actor: &Actor, id: TaskId) -> AppResult<TaskView> {
        self.load(actor, id).await.map(|(task, _)| task)
    }

    /// Tasks of the events where the caller is a going member (all for staff).
    pub async fn list(&self, actor: &Actor, input: TaskListInput) -> AppResult<Page<TaskView>> {
        let (filter, ordering) = input::list_query(&input, actor.user_id)?;
        let query = TaskQuery {
            actor: *actor,
            filter,
            ordering,
            page: input.page,
        };
        Ok(self.deps.repos.tasks.list_tasks(query).await?)
    }

    /// PUT (`partial == false`, title required) or PATCH. Managers change any
    /// field; the assignee only `status`. `event` is read-only.
    pub async fn update(
        &self,
        actor: &Actor,
        id: TaskId,
        input: TaskInput,
        partial: bool,
    ) -> AppResult<TaskView> {
        let (view, relation) = self.load_relation(actor, id).await?;
        if !relation.can_manage() && !relation.is_assignee {
            return Err(AppError::Forbidden("You may not change this task."));
        }
        let mut errors = FieldErrors::new();
        let changes = input::effective(input::changes(&input, !partial, &mut errors), &view.task);
        if !relation.can_manage() {
            let touches_other = errors.fields().keys().any(|field| field != "status");
            if touches_other || !relation.can_update(&changes) {
                return Err(AppError::Forbidden(
                    "The assignee may only change the status.",
                ));
            }
        }
        if let Some(Some(assignee)) = changes.assignee_id {
            self.check_assignee(view.task.event_id, assignee, &mut errors)
                .await?;
        }
        errors.into_result()?;
        let saved = self.save(id, changes).await?;
        Ok(self.announce(Kind::TaskUpdated, saved).await)
    }

    pub async fn delete(&self, actor: &Actor, id: TaskId) -> AppResult<()> {
        let (view, relation) = self.load_relation(actor, id).await?;
        if !relation.can_manage() {
            return Err(AppError::Forbidden(
                "Only the organizer or the task's creator may delete it.",
            ));
        }
        self.deps
            .repos
            .tasks
            .delete_task(id)
            .await
            .map_err(task_error)?;
        let event = view.task.event_id;
        notify::to_task_viewers(
            &self.deps,
            Kind::TaskDeleted,
            event,
            NoticeData::Deleted(id.get()),
        )
        .await;
        Ok(())
    }

    /// Managers assign any going member or nobody; a going member claims an
    /// unassigned task for themselves (an absent `assignee_id` means the caller).
    pub async fn assign(
        &self,
        actor: &Actor,
        id: TaskId,
        input: AssignInput,
    ) -> AppResult<TaskView> {
        let (view, relation) = self.load_relation(actor, id).await?;
        let mut errors = FieldErrors::new();
        let to = match input.assignee_id {
            None => Some(actor.user_id),
            Some(None) => None,
            Some(Some(raw)) => match input::user_id(&mut errors, "assignee_id", raw) {
                Some(user) => Some(user),
                None => return Err(errors.into()),
            },
        };
        // Claiming a task one already holds changes nothing.
        if to == Some(actor.user_id) && view.task.assignee_id == to {
            return Ok(view);
        }
        // A member claiming a task someone else holds conflicts with its
        // state (the same answer as losing a race for it), rather than lacking
        // a permission.
        if !relation.can_manage()
            && relation.is_going
            && to == Some(actor.user_id)
            && view.task.assignee_id.is_some()
        {
            return Err(RepoError::Conflict(Conflict::TaskAssigned).into());
        }
        if !relation.can_assign(&view.task, actor.user_id, to) {
            return Err(AppError::Forbidden(
                "Only the organizer or the task's creator may assign it; members may claim unassigned tasks for themselves.",
            ));
        }
        if let Some(user) = to {
            self.check_assignee(view.task.event_id, user, &mut errors)
                .await?;
        }
        errors.into_result()?;
        let changes = TaskChanges {
            assignee_id: Some(to),
            // A member (not a manager) may only take a task nobody holds,
            // also when another member claims it at the same moment.
            only_if_unassigned: !relation.can_manage(),
            ..TaskChanges::default()
        };
        let saved = self.save(id, changes).await?;
        Ok(self.announce(Kind::TaskAssigned, saved).await)
    }

    /// Marks the task done; a done task is returned unchanged.
    pub async fn complete(&self, actor: &Actor, id: TaskId) -> AppResult<TaskView> {
        let (view, relation) = self.load_relation(actor, id).await?;
        if !relation.can_complete() {
            return Err(AppError::Forbidden(
                "Only the assignee, the task's creator or the organizer may complete it.",
            ));
        }
        if view.task.status == TaskStatus::Done {
            return Ok(view);
        }
        let changes = TaskChanges {
            status: Some(TaskStatus::Done),
            ..TaskChanges::default()
        };
        let saved = self.save(id, changes).await?;
        Ok(self.announce(Kind::TaskCompleted, saved).await)
    }

    /// Sends `kind` with the task to the event's going members; returns the
    /// task for the REST answer.
    async fn announce(&self, kind: Kind, view: TaskView) -> TaskView {
        let event = view.task.event_id;
        let data = NoticeData::Task(view.clone());
        notify::to_task_viewers(&self.deps, kind, event, data).await;
        view
    }

    async fn save(&self, id: TaskId, changes: TaskChanges) -> AppResult<TaskView> {
        let now = self.deps.clock.now();
        self.deps
            .repos
            .tasks
            .update_task(id, changes, now)
            .await
            .map_err(task_error)
    }

    /// Records an error unless `user` is a going member of `event` now (the
    /// repository checks again atomically when it writes).
    async fn check_assignee(
        &self,
        event: EventId,
        user: UserId,
        errors: &mut FieldErrors,
    ) -> AppResult<()> {
        let view = self.deps.repos.events.get_event(event, Some(user)).await?;
        if !view.is_some_and(|v| access::is_going_member(v.membership.as_ref())) {
            errors.add("assignee_id", NOT_ASSIGNEE_MESSAGE);
        }
        Ok(())
    }

    /// The task and its event, if the caller may see the task.
    async fn load(&self, actor: &Actor, id: TaskId) -> AppResult<(TaskView, EventView)> {
        let task = self
            .deps
            .repos
            .tasks
            .get_task(id)
            .await?
            .ok_or(AppError::NotFound("Task"))?;
        let event = self
            .deps
            .repos
            .events
            .get_event(task.task.event_id, Some(actor.user_id))
            .await?
            .filter(|e| access::can_see_tasks(e.membership.as_ref(), Some(actor)))
            .ok_or(AppError::NotFound("Task"))?;
        Ok((task, event))
    }

    async fn load_relation(
        &self,
        actor: &Actor,
        id: TaskId,
    ) -> AppResult<(TaskView, TaskRelation)> {
        let (task, event) = self.load(actor, id).await?;
        let going = access::is_going_member(event.membership.as_ref());
        let relation = TaskRelation::of(actor, &task.task, event.event.organizer_id, going);
        Ok((task, relation))
    }
}

fn task_error(error: RepoError) -> AppError {
    match error {
        RepoError::NotFound => AppError::NotFound("Task"),
        other => other.into(),
    }
}
