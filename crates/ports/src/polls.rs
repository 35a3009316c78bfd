//! Polls, options and votes.

use chrono::{DateTime, Utc};
use gatherhub_domain::access::Actor;
use gatherhub_domain::poll::{NewPoll, Poll, PollChanges, PollOption};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{EventId, OptionId, Page, PageRequest, PollId, UserId};

use crate::RepoResult;

/// A poll with its options in order and their vote counts.
#[derive(Debug, Clone, PartialEq)]
pub struct PollView {
    pub poll: Poll,
    pub options: Vec<(PollOption, u64)>,
    pub created_by: UserSummary,
    /// Distinct users with at least one vote.
    pub total_voters: u64,
    /// The viewer's chosen options.
    pub my_votes: Vec<OptionId>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PollOrdering {
    CreatedAt,
    #[default]
    CreatedAtDesc,
    /// Polls without an end last.
    EndsAt,
    /// Polls without an end last.
    EndsAtDesc,
    Title,
    TitleDesc,
}

/// A page of the polls of events `viewer` may see; ties broken by id.
#[derive(Debug, Clone)]
pub struct PollQuery {
    pub viewer: Option<Actor>,
    pub event: Option<EventId>,
    pub is_open: Option<bool>,
    pub ordering: PollOrdering,
    pub page: PageRequest,
    pub now: DateTime<Utc>,
}

#[async_trait::async_trait]
pub trait PollRepo: Send + Sync {
    /// Stores the poll and its options in order. MUST return `NotFound` when
    /// the event is gone.
    async fn create_poll(
        &self,
        poll: NewPoll,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView>;

    async fn get_poll(&self, id: PollId, viewer: Option<UserId>) -> RepoResult<Option<PollView>>;

    async fn list_polls(&self, query: PollQuery) -> RepoResult<Page<PollView>>;

    /// Applies `changes`. Replacing options MUST return
    /// `Conflict(PollHasVotes)` once any vote exists, checked atomically with
    /// the replacement.
    async fn update_poll(
        &self,
        id: PollId,
        changes: PollChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView>;

    /// MUST return `NotFound` for a missing poll.
    async fn delete_poll(&self, id: PollId) -> RepoResult<()>;

    /// Replaces `user`'s votes in the poll with `options`, atomically; returns
    /// true when the user had not voted before. Each user counts at most once
    /// per option under any concurrency. MUST return `NotFound`,
    /// `Conflict(PollClosed)` when closed or ended at `now`, and `Invalid`
    /// (field `option_ids`) when an option is not one of this poll's.
    async fn cast_vote(
        &self,
        id: PollId,
        user: UserId,
        options: &[OptionId],
        now: DateTime<Utc>,
    ) -> RepoResult<bool>;

    /// Removes `user`'s votes; returns whether there were any. MUST return
    /// `NotFound` for a missing poll and `Conflict(PollClosed)` when closed.
    async fn retract_vote(&self, id: PollId, user: UserId, now: DateTime<Utc>) -> RepoResult<bool>;

    /// Closes the poll (idempotent). MUST return `NotFound` for a missing poll.
    async fn close_poll(
        &self,
        id: PollId,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView>;

    /// Who chose what: `(option, voter)` pairs in option order, then vote order.
    async fn poll_voters(&self, id: PollId) -> RepoResult<Vec<(OptionId, UserSummary)>>;
}
