//! Request and response bodies of the voting routes, and their conversion to
//! and from the app's inputs, views and results.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gatherhub_app::voting::{PollInput, PollListInput, Results, VoteInput};
use gatherhub_domain::PageRequest;
use gatherhub_ports::PollView;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::dto::UserSummaryDto;
use crate::http::nullable::double_option;
use crate::routes::tasks::non_null;

/// One option of a poll with its vote count.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollOptionDto {
    pub id: i64,
    pub text: String,
    pub vote_count: u64,
}

/// A poll.
#[derive(Debug, Serialize, ToSchema)]
pub struct PollDto {
    pub id: i64,
    /// The event's id.
    pub event: i64,
    pub title: String,
    pub description: String,
    /// In their order of creation.
    pub options: Vec<PollOptionDto>,
    pub multiple_choice: bool,
    pub anonymous: bool,
    pub ends_at: Option<DateTime<Utc>>,
    /// False once `ends_at` has passed or the poll was closed.
    pub is_open: bool,
    pub created_by: UserSummaryDto,
    /// Votes cast, one per chosen option.
    pub total_votes: u64,
    /// Distinct users who voted.
    pub total_voters: u64,
    /// The caller's chosen option ids (empty for anonymous callers).
    pub my_votes: Vec<i64>,
    pub created_at: DateTime<Utc>,
}

impl PollDto {
    pub fn new(view: PollView, is_open: bool) -> Self {
        let poll = view.poll;
        Self {
            id: poll.id.get(),
            event: poll.event_id.get(),
            title: poll.title,
            description: poll.description,
            total_votes: view.options.iter().map(|(_, votes)| votes).sum(),
            options: view
                .options
                .into_iter()
                .map(|(option, votes)| PollOptionDto {
                    id: option.id.get(),
                    text: option.text,
                    vote_count: votes,
                })
                .collect(),
            multiple_choice: poll.multiple_choice,
            anonymous: poll.anonymous,
            ends_at: poll.ends_at,
            is_open,
            created_by: view.created_by.into(),
            total_voters: view.total_voters,
            my_votes: view.my_votes.into_iter().map(|id| id.get()).collect(),
            created_at: poll.created_at,
        }
    }
}

/// One option's result.
#[derive(Debug, Serialize, ToSchema)]
pub struct OptionResultDto {
    pub id: i64,
    pub text: String,
    pub votes: u64,
    /// Share of all votes, 0–100, one decimal.
    pub percentage: f64,
}

/// A poll's results.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"poll": 1, "title": "Choose the venue", "is_open": true, "ends_at": null, "total_votes": 2, "total_voters": 2, "options": [{"id": 1, "text": "Community Center", "votes": 2, "percentage": 100.0}, {"id": 2, "text": "Park", "votes": 0, "percentage": 0.0}], "winners": [1], "voters": {"1": [{"id": 2, "username": "ann", "first_name": "Ann", "last_name": "Lee"}], "2": []}}))]
pub struct ResultsDto {
    /// The poll's id.
    pub poll: i64,
    pub title: String,
    pub is_open: bool,
    pub ends_at: Option<DateTime<Utc>>,
    pub total_votes: u64,
    pub total_voters: u64,
    pub options: Vec<OptionResultDto>,
    /// The ids of the options with the most votes; empty before any vote.
    pub winners: Vec<i64>,
    /// Who chose each option, keyed by option id. Omitted for anonymous polls
    /// and for callers who are not members of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub voters: Option<BTreeMap<String, Vec<UserSummaryDto>>>,
}

impl ResultsDto {
    pub fn new(results: Results, is_open: bool) -> Self {
        let poll = results.view.poll;
        let voters = results.voters.map(|pairs| {
            let mut by_option: BTreeMap<String, Vec<UserSummaryDto>> = results
                .tally
                .options
                .iter()
                .map(|option| (option.id.to_string(), Vec::new()))
                .collect();
            for (option, user) in pairs {
                by_option
                    .entry(option.to_string())
                    .or_default()
                    .push(user.into());
            }
            by_option
        });
        Self {
            poll: poll.id.get(),
            title: poll.title,
            is_open,
            ends_at: poll.ends_at,
            total_votes: results.tally.total_votes,
            total_voters: results.tally.total_voters,
            options: results
                .tally
                .options
                .into_iter()
                .map(|option| OptionResultDto {
                    id: option.id.get(),
                    text: option.text,
                    votes: option.votes,
                    percentage: option.percentage,
                })
                .collect(),
            winners: results
                .tally
                .winners
                .into_iter()
                .map(|id| id.get())
                .collect(),
            voters,
        }
    }
}

/// One option of a new poll.
#[derive(Debug, Deserialize, ToSchema)]
pub struct OptionRequest {
    /// 1–200 characters, distinct (ignoring case) within the poll.
    #[schema(min_length = 1, max_length = 200)]
    pub text: String,
}

fn texts(options: Option<Vec<OptionRequest>>) -> Option<Vec<String>> {
    options.map(|options| options.into_iter().map(|o| o.text).collect())
}

/// `POST /voting/`.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"event": 1, "title": "Choose the venue", "description": "Where should we hold the next meetup?", "options": [{"text": "Community Center"}, {"text": "Park"}], "multiple_choice": false, "anonymous": false, "ends_at": "2024-02-10T23:59:59Z"}))]
pub struct CreatePollRequest {
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
    /// 2–20 options.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = Vec<OptionRequest>, required = true, min_items = 2, max_items = 20)]
    pub options: Option<Vec<OptionRequest>>,
    /// Default false.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = bool, required = false)]
    pub multiple_choice: Option<bool>,
    /// Default false: voters are shown to members in the results.
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = bool, required = false)]
    pub anonymous: Option<bool>,
    /// In the future, or null for no end.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable, required = false)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

impl CreatePollRequest {
    pub fn into_input(self) -> PollInput {
        PollInput {
            event: self.event,
            title: self.title,
            description: self.description,
            options: texts(self.options),
            multiple_choice: self.multiple_choice,
            anonymous: self.anonymous,
            ends_at: self.ends_at,
        }
    }
}

/// `PUT`/`PATCH /voting/{id}/`: PUT requires `title`. `options` replaces
/// every option and is refused (409 `conflict`) once a vote exists, unless it
/// repeats the current options. `event`, `multiple_choice` and `anonymous`
/// cannot change.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"title": "Choose the venue", "ends_at": "2024-02-12T23:59:59Z"}))]
pub struct UpdatePollRequest {
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = String, required = false, max_length = 10000)]
    pub description: Option<String>,
    #[serde(default, deserialize_with = "non_null")]
    #[schema(value_type = Vec<OptionRequest>, required = false, min_items = 2, max_items = 20)]
    pub options: Option<Vec<OptionRequest>>,
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<DateTime<Utc>>, nullable, required = false)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

impl UpdatePollRequest {
    pub fn into_input(self) -> PollInput {
        PollInput {
            title: self.title,
            description: self.description,
            options: texts(self.options),
            ends_at: self.ends_at,
            ..PollInput::default()
        }
    }
}

/// `POST /voting/{id}/vote/`: exactly one of the two fields. Voting again
/// replaces the caller's previous choice.
#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"option_id": 1}))]
pub struct VoteRequest {
    /// One option (single- or multiple-choice polls).
    pub option_id: Option<i64>,
    /// One or more distinct options (only one for single-choice polls).
    pub option_ids: Option<Vec<i64>>,
}

impl VoteRequest {
    pub fn into_input(self) -> VoteInput {
        VoteInput {
            option_id: self.option_id,
            option_ids: self.option_ids,
        }
    }
}

/// Filters and ordering of `GET /voting/`; blank values are ignored.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PollFilterQuery {
    /// Only polls of this event.
    #[param(value_type = Option<i64>)]
    pub event: Option<String>,
    /// `true` for open polls, `false` for closed or ended ones.
    #[param(value_type = Option<bool>)]
    pub is_open: Option<String>,
    /// `created_at`, `-created_at` (default), `ends_at`, `-ends_at`, `title`
    /// or `-title`. Polls without an end sort last.
    #[param(example = "-created_at")]
    pub ordering: Option<String>,
}

impl PollFilterQuery {
    pub fn into_input(self, page: PageRequest) -> PollListInput {
        PollListInput {
            event: self.event,
            is_open: self.is_open,
            ordering: self.ordering,
            page,
        }
    }
}
