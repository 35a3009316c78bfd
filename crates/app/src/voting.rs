//! VotingService: polls of events, seen by whoever may see their event,
//! managed by their creator, the event's organizer and staff, voted on by
//! going members; results show voters only for open ballots to members.

mod announce;
mod input;

use gatherhub_domain::access::{self, Actor};
use gatherhub_domain::poll::{self, NewPoll, PollChanges, PollDescription};
use gatherhub_domain::{EventId, FieldErrors, Page, PollId};
use gatherhub_ports::{EventView, Kind, PollQuery, PollView, RepoError};

pub use input::{PollInput, PollListInput, VoteInput};

use crate::tasks::params;
use crate::{AppError, AppResult, ConflictCode, Deps, scope};

/// A poll's counted results as a given caller may see them (defined with the
/// real-time ports, whose `vote.cast` carries them).
pub type Results = gatherhub_ports::PollResults;

#[derive(Clone)]
pub struct VotingService {
    deps: Deps,
}

impl VotingService {
    pub fn new(deps: Deps) -> Self {
        Self { deps }
    }

    /// Whether the poll takes votes now.
    pub fn is_open(&self, view: &PollView) -> bool {
        view.poll.is_open(self.deps.clock.now())
    }

    /// A new poll in an event where the caller is a going member.
    pub async fn create(&self, actor: &Actor, input: PollInput) -> AppResult<PollView> {
        let mut errors = FieldErrors::new();
        let event = scope::parent_event(
            &self.deps,
            actor,
            input.event,
            &mut errors,
            "Only going members of the event may create polls.",
        )
        .await?;
        let now = self.deps.clock.now();
        let fields = input::changes(&input, true, true, now, &mut errors);
        let description = match fields.description {
            Some(description) => Some(description),
            None => errors.check(PollDescription::parse("")),
        };
        errors.into_result()?;
        let (Some(event), Some(title), Some(description), Some(options)) =
            (event, fields.title, description, fields.options)
        else {
            // Unreachable: each was required or defaulted above without error.
            return Err(AppError::field("event", "Invalid event."));
        };
        let poll = NewPoll {
            event_id: event.event.id,
            title,
            description,
            options,
            multiple_choice: input.multiple_choice.unwrap_or(false),
            anonymous: input.anonymous.unwrap_or(false),
            ends_at: fields.ends_at.flatten(),
        };
        match self
            .deps
            .repos
            .polls
            .create_poll(poll, actor.user_id, now)
            .await
        {
            Err(RepoError::NotFound) => Err(AppError::field("event", "Invalid event.")),
            other => {
                let view = other?;
                self.announce_poll(Kind::PollCreated, &event, &view).await;
                Ok(view)
            }
        }
    }

    pub async fn get(&self, viewer: Option<&Actor>, id: PollId) -> AppResult<PollView> {
        self.load(viewer, id).await.map(|(poll, _)| poll)
    }

    /// Polls of the events the viewer may see.
    pub async fn list(
        &self,
        viewer: Option<&Actor>,
        input: PollListInput,
    ) -> AppResult<Page<PollView>> {
        let mut errors = FieldErrors::new();
        let event = params::id(&mut errors, "event", input.event.as_deref()).map(EventId);
        let is_open = params::boolean(&mut errors, "is_open", input.is_open.as_deref());
        let ordering = params::choice(
            &mut errors,
            "ordering",
            input.ordering.as_deref(),
            input::ORDERINGS,
        );
        errors.into_result()?;
        let query = PollQuery {
            viewer: viewer.copied(),
            event,
            is_open,
            ordering: ordering.unwrap_or_default(),
            page: input.page,
            now: self.deps.clock.now(),
        };
        Ok(self.deps.repos.polls.list_polls(query).await?)
    }

    /// PUT (`partial == false`, title required) or PATCH of `title`,
    /// `description`, `ends_at` and, while nobody has voted, `options`.
    pub async fn update(
        &self,
        actor: &Actor,
        id: PollId,
        input: PollInput,
        partial: bool,
    ) -> AppResult<PollView> {
        let (view, event) = self.load(Some(actor), id).await?;
        self.check_manage(actor, &view, &event)?;
        let now = self.deps.clock.now();
        let mut errors = FieldErrors::new();
        let changes: PollChanges = input::changes(&input, !partial, false, now, &mut errors);
        errors.into_result()?;
        let changes = input::drop_same_options(changes, &view);
        let updated = self
            .deps
            .repos
            .polls
            .update_poll(id, changes, actor.user_id, now)
            .await
            .map_err(poll_error)?;
        self.announce_poll(Kind::PollUpdated, &event, &updated)
            .await;
        Ok(updated)
    }

    pub async fn delete(&self, actor: &Actor, id: PollId) -> AppResult<()> {
        let (view, event) = self.load(Some(actor), id).await?;
        self.check_manage(actor, &view, &event)?;
        self.deps
            .repos
            .polls
            .delete_poll(id)
            .await
            .map_err(poll_error)?;
        self.announce_deleted(&event, id).await;
        Ok(())
    }

    /// Casts or replaces the caller's ballot; the flag is true for a first vote.
    pub async fn vote(
        &self,
        actor: &Actor,
        id: PollId,
        input: VoteInput,
    ) -> AppResult<(Results, bool)> {
        let (view, event) = self.load(Some(actor), id).await?;
        if !access::is_going_member(event.membership.as_ref()) {
            return Err(AppError::Forbidden(
                "Only going members of the event may vote.",
            ));
        }
        let now = self.deps.clock.now();
        if !view.poll.is_open(now) {
            return Err(closed());
        }
        let (options, field) = input::ballot(&input)?;
        let stored: Vec<_> = view.options.iter().map(|(o, _)| o.clone()).collect();
        poll::check_ballot(view.poll.multiple_choice, &options)
            .and_then(|()| poll::check_options_belong(&options, &stored))
            .map_err(|e| input::rename(e, field))?;
        let first = match self
            .deps
            .repos
            .polls
            .cast_vote(id, actor.user_id, &options, now)
            .await
        {
            Err(RepoError::Invalid(error)) => return Err(input::rename(error, field).into()),
            other => other.map_err(poll_error)?,
        };
        let results = self.results(Some(actor), id).await?;
        self.announce_results(actor, &event, &results, true).await;
        Ok((results, first))
    }

    /// Withdraws the caller's ballot; `NotFound("Vote")` when they had none.
    pub async fn retract(&self, actor: &Actor, id: PollId) -> AppResult<()> {
        let (view, event) = self.load(Some(actor), id).await?;
        let now = self.deps.clock.now();
        if !view.poll.is_open(now) {
            return Err(closed());
        }
        let had_votes = self
            .deps
            .repos
            .polls
            .retract_vote(id, actor.user_id, now)
            .await;
        if had_votes.map_err(poll_error)? {
            // The counts changed: subscribers get the new results, with no voter.
            match self.results(Some(actor), id).await {
                Ok(results) => self.announce_results(actor, &event, &results, false).await,
                Err(error) => tracing::warn!(%error, "real-time vote.cast skipped"),
            }
            Ok(())
        } else {
            Err(AppError::NotFound("Vote"))
        }
    }

    pub async fn results(&self, viewer: Option<&Actor>, id: PollId) -> AppResult<Results> {
        let (view, event) = self.load(viewer, id).await?;
        let tally = poll::tally(&view.options, view.total_voters);
        let may_see_voters = viewer.is_some_and(|v| v.is_staff) || event.membership.is_some();
        let voters = if view.poll.anonymous || !may_see_voters {
            None
        } else {
            Some(
                self.deps
                    .repos
                    .polls
                    .poll_voters(id)
                    .await
                    .map_err(poll_error)?,
            )
        };
        Ok(Results {
            view,
            tally,
            voters,
        })
    }

    /// Closes the poll for good; closing a closed poll changes nothing.
    pub async fn close(&self, actor: &Actor, id: PollId) -> AppResult<PollView> {
        let (view, event) = self.load(Some(actor), id).await?;
        self.check_manage(actor, &view, &event)?;
        let now = self.deps.clock.now();
        let closed = self
            .deps
            .repos
            .polls
            .close_poll(id, actor.user_id, now)
            .await
            .map_err(poll_error)?;
        self.announce_poll(Kind::PollClosed, &event, &closed).await;
        Ok(closed)
    }

    fn check_manage(&self, actor: &Actor, view: &PollView, event: &EventView) -> AppResult<()> {
        if view.poll.created_by == actor.user_id
            || access::can_manage_event(event.event.organizer_id, actor)
        {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Only the poll's creator or the event's organizer may do this.",
            ))
        }
    }

    /// The poll (with the viewer's votes) and its event, if the viewer may see it.
    async fn load(&self, viewer: Option<&Actor>, id: PollId) -> AppResult<(PollView, EventView)> {
        let user = viewer.map(|v| v.user_id);
        let poll = self
            .deps
            .repos
            .polls
            .get_poll(id, user)
            .await?
            .ok_or(AppError::NotFound("Poll"))?;
        let event = scope::visible_event(&self.deps, viewer, poll.poll.event_id)
            .await?
            .ok_or(AppError::NotFound("Poll"))?;
        Ok((poll, event))
    }
}

fn closed() -> AppError {
    AppError::conflict(ConflictCode::PollClosed, "This poll is closed.")
}

fn poll_error(error: RepoError) -> AppError {
    match error {
        RepoError::NotFound => AppError::NotFound("Poll"),
        other => other.into(),
    }
}
