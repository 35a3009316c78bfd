//! Real-time messages of the voting service, sent after each write commits to
//! whoever may see the poll's event.
//!
//! `vote.cast` carries the results. Who chose what is shown through REST only
//! to members (and staff), so on a public event with an open ballot the
//! message has two renderings: with `voters` for the members, without for
//! everyone else. Both name the voter (API §6: "the voter only for
//! non-anonymous polls").

use gatherhub_domain::PollId;
use gatherhub_domain::access::Actor;
use gatherhub_domain::event::Visibility;
use gatherhub_ports::{Audience, EventView, Kind, Notice, NoticeData, PollResults, PollView};

use super::VotingService;
use crate::notify;

impl VotingService {
    /// `poll.created`, `poll.updated` or `poll.closed` with the poll object.
    pub(super) async fn announce_poll(&self, kind: Kind, event: &EventView, view: &PollView) {
        let data = NoticeData::Poll(notify::impersonal_poll(view.clone()));
        notify::to_event_viewers(&self.deps, kind, event, data).await;
    }

    pub(super) async fn announce_deleted(&self, event: &EventView, id: PollId) {
        let data = NoticeData::Deleted(id.get());
        notify::to_event_viewers(&self.deps, Kind::PollDeleted, event, data).await;
    }

    /// `vote.cast` with the poll's current results; `cast` is false for a
    /// withdrawn ballot, which names no voter.
    pub(super) async fn announce_results(
        &self,
        actor: &Actor,
        event: &EventView,
        results: &PollResults,
        cast: bool,
    ) {
        let kind = Kind::VoteCast;
        let id = event.event.id;
        let anonymous = results.view.poll.anonymous;
        let mut shared = results.clone();
        shared.view = notify::impersonal_poll(shared.view);
        if anonymous {
            // Nobody sees voters: one rendering for whoever sees the event.
            shared.voters = None;
            let data = NoticeData::Results {
                results: shared,
                voter: None,
            };
            notify::to_event_viewers(&self.deps, kind, event, data).await;
            return;
        }
        let mut for_members = shared.clone();
        if for_members.voters.is_none() {
            match self
                .deps
                .repos
                .polls
                .poll_voters(results.view.poll.id)
                .await
            {
                Ok(voters) => for_members.voters = Some(voters),
                Err(error) => {
                    tracing::warn!(%error, "real-time vote.cast skipped: voters unavailable");
                    return;
                }
            }
        }
        let voter = if cast {
            self.voter(actor, &for_members).await
        } else {
            None
        };
        let Some(members) = notify::members_or_log(&self.deps, id, kind).await else {
            return;
        };
        let members = Audience::users(members.iter().map(|m| m.user.id));
        let mut versions = vec![(
            members,
            NoticeData::Results {
                results: for_members,
                voter: voter.clone(),
            },
        )];
        if event.event.visibility == Visibility::Public {
            shared.voters = None;
            versions.push((
                Audience::Public,
                NoticeData::Results {
                    results: shared,
                    voter,
                },
            ));
        }
        let notice = Notice {
            kind,
            event_id: id,
            versions,
        };
        notify::send(&self.deps, notice).await;
    }

    /// The actor's summary: from the voters list when there, else looked up.
    async fn voter(
        &self,
        actor: &Actor,
        results: &PollResults,
    ) -> Option<gatherhub_domain::user::UserSummary> {
        let listed = results
            .voters
            .iter()
            .flatten()
            .find(|(_, user)| user.id == actor.user_id)
            .map(|(_, user)| user.clone());
        if listed.is_some() {
            return listed;
        }
        match self.deps.repos.users.get(actor.user_id).await {
            Ok(user) => user.map(|u| u.summary()),
            Err(error) => {
                tracing::warn!(%error, "real-time vote.cast sent without its voter");
                None
            }
        }
    }
}
