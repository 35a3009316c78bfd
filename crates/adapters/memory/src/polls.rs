//! `PollRepo`: polls, their options and votes. A user's ballot is replaced
//! as a whole under the lock, so each user counts once per option.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gatherhub_domain::poll::{
    NewPoll, Poll, PollChanges, PollOption, PollOptions, check_ballot, check_options_belong,
};
use gatherhub_domain::user::UserSummary;
use gatherhub_domain::{OptionId, Page, PollId, UserId};
use gatherhub_ports::{Conflict, PollQuery, PollRepo, PollView, RepoError, RepoResult};

use crate::MemoryStore;
use crate::listing;
use crate::state::{PollRow, State, Vote, try_map};

impl State {
    pub(crate) fn poll_view(&self, row: &PollRow, viewer: Option<UserId>) -> RepoResult<PollView> {
        let options = row
            .options
            .iter()
            .map(|option| {
                let votes = row.votes.iter().filter(|v| v.option == option.id).count() as u64;
                (option.clone(), votes)
            })
            .collect();
        let voters: BTreeSet<UserId> = row.votes.iter().map(|v| v.user).collect();
        let my_votes = match viewer {
            Some(viewer) => row
                .options
                .iter()
                .filter(|o| {
                    row.votes.contains(&Vote {
                        option: o.id,
                        user: viewer,
                    })
                })
                .map(|o| o.id)
                .collect(),
            None => Vec::new(),
        };
        Ok(PollView {
            poll: row.poll.clone(),
            options,
            created_by: self.summary(row.poll.created_by)?,
            total_voters: voters.len() as u64,
            my_votes,
        })
    }

    /// Fresh option rows for `poll`, positioned 0, 1, 2, ... in the given order.
    fn new_options(&mut self, poll: PollId, texts: &PollOptions) -> Vec<PollOption> {
        texts
            .texts()
            .enumerate()
            .map(|(position, text)| PollOption {
                id: OptionId(self.ids.option.next()),
                poll_id: poll,
                text: text.to_owned(),
                position: i32::try_from(position).unwrap_or(i32::MAX),
            })
            .collect()
    }

    fn poll_mut(&mut self, id: PollId) -> RepoResult<&mut PollRow> {
        self.polls.get_mut(&id).ok_or(RepoError::NotFound)
    }
}

#[async_trait::async_trait]
impl PollRepo for MemoryStore {
    async fn create_poll(
        &self,
        poll: NewPoll,
        created_by: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.write(|s| {
            s.event_row(poll.event_id)?;
            s.require_user(created_by)?;
            let id = PollId(s.ids.poll.next());
            let options = s.new_options(id, &poll.options);
            let row = PollRow {
                poll: Poll {
                    id,
                    event_id: poll.event_id,
                    title: poll.title.into_inner(),
                    description: poll.description.into_inner(),
                    multiple_choice: poll.multiple_choice,
                    anonymous: poll.anonymous,
                    ends_at: poll.ends_at,
                    closed: false,
                    created_by,
                    created_at: now,
                    updated_at: now,
                },
                options,
                votes: Vec::new(),
            };
            let view = s.poll_view(&row, Some(created_by))?;
            s.polls.insert(id, row);
            Ok(view)
        })
    }

    async fn get_poll(&self, id: PollId, viewer: Option<UserId>) -> RepoResult<Option<PollView>> {
        self.read(|s| {
            s.polls
                .get(&id)
                .map(|row| s.poll_view(row, viewer))
                .transpose()
        })
    }

    async fn list_polls(&self, query: PollQuery) -> RepoResult<Page<PollView>> {
        self.read(|s| {
            let viewer = query.viewer.map(|v| v.user_id);
            try_map(query.page.slice(listing::polls(s, &query)), |row| {
                s.poll_view(row, viewer)
            })
        })
    }

    async fn update_poll(
        &self,
        id: PollId,
        changes: PollChanges,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.write(|s| {
            let current = s.polls.get(&id).ok_or(RepoError::NotFound)?;
            if changes.options.is_some() && !current.votes.is_empty() {
                return Err(Conflict::PollHasVotes.into());
            }
            let poll = changes.apply(&current.poll, now);
            let options = changes
                .options
                .as_ref()
                .map(|texts| s.new_options(id, texts));
            let row = s.poll_mut(id)?;
            row.poll = poll;
            if let Some(options) = options {
                row.options = options;
            }
            let row = s.polls.get(&id).ok_or(RepoError::NotFound)?;
            s.poll_view(row, Some(viewer))
        })
    }

    async fn delete_poll(&self, id: PollId) -> RepoResult<()> {
        self.write(|s| s.polls.remove(&id).map(|_| ()).ok_or(RepoError::NotFound))
    }

    async fn cast_vote(
        &self,
        id: PollId,
        user: UserId,
        options: &[OptionId],
        now: DateTime<Utc>,
    ) -> RepoResult<bool> {
        self.write(|s| {
            let row = s.polls.get(&id).ok_or(RepoError::NotFound)?;
            if !row.poll.is_open(now) {
                return Err(Conflict::PollClosed.into());
            }
            check_ballot(row.poll.multiple_choice, options)?;
            check_options_belong(options, &row.options)?;
            s.require_user(user)?;
            let row = s.poll_mut(id)?;
            let first = !row.votes.iter().any(|v| v.user == user);
            row.votes.retain(|v| v.user != user);
            row.votes
                .extend(options.iter().map(|&option| Vote { option, user }));
            Ok(first)
        })
    }

    async fn retract_vote(&self, id: PollId, user: UserId, now: DateTime<Utc>) -> RepoResult<bool> {
        self.write(|s| {
            let row = s.poll_mut(id)?;
            if !row.poll.is_open(now) {
                return Err(Conflict::PollClosed.into());
            }
            let before = row.votes.len();
            row.votes.retain(|v| v.user != user);
            Ok(row.votes.len() != before)
        })
    }

    /// Closing a closed poll changes nothing, not even `updated_at`.
    async fn close_poll(
        &self,
        id: PollId,
        viewer: UserId,
        now: DateTime<Utc>,
    ) -> RepoResult<PollView> {
        self.write(|s| {
            let row = s.poll_mut(id)?;
            if !row.poll.closed {
                row.poll.closed = true;
                row.poll.updated_at = now;
            }
            let row = s.polls.get(&id).ok_or(RepoError::NotFound)?;
            s.poll_view(row, Some(viewer))
        })
    }

    async fn poll_voters(&self, id: PollId) -> RepoResult<Vec<(OptionId, UserSummary)>> {
        self.read(|s| {
            let row = s.polls.get(&id).ok_or(RepoError::NotFound)?;
            let mut voters = Vec::with_capacity(row.votes.len());
            for option in &row.options {
                for vote in row.votes.iter().filter(|v| v.option == option.id) {
                    voters.push((option.id, s.summary(vote.user)?));
                }
            }
            Ok(voters)
        })
    }
}
