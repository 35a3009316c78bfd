//! Voting, changing and retracting ballots, results, and concurrent votes.

use std::sync::Arc;

use chrono::Duration;
use gatherhub_app::ConflictCode;
use gatherhub_app::voting::{PollInput, VoteInput};
use gatherhub_domain::event::Visibility;
use gatherhub_domain::{OptionId, PollId};

use crate::polls::{Cast, cast, poll};
use crate::world::*;

fn one(id: OptionId) -> VoteInput {
    VoteInput {
        option_id: Some(id.get()),
        option_ids: None,
    }
}

fn many(ids: &[OptionId]) -> VoteInput {
    VoteInput {
        option_id: None,
        option_ids: Some(ids.iter().map(|i| i.get()).collect()),
    }
}

async fn options(c: &Cast) -> Vec<OptionId> {
    let view = c.w.app.voting.get(Some(&c.org), c.poll).await.unwrap();
    view.options.iter().map(|(o, _)| o.id).collect()
}

#[tokio::test]
async fn a_first_vote_then_a_replacement() {
    let c = cast(Visibility::Public, false, false).await;
    let o = options(&c).await;
    let (results, first) =
        c.w.app
            .voting
            .vote(&c.voter, c.poll, one(o[0]))
            .await
            .unwrap();
    assert!(first);
    assert_eq!(results.view.my_votes, [o[0]]);
    assert_eq!(
        (results.tally.total_votes, results.tally.total_voters),
        (1, 1)
    );
    assert_eq!(results.tally.winners, [o[0]]);
    let (results, first) =
        c.w.app
            .voting
            .vote(&c.voter, c.poll, many(&[o[1]]))
            .await
            .unwrap();
    assert!(!first, "a second ballot replaces the first");
    assert_eq!(results.view.my_votes, [o[1]]);
    let votes: Vec<u64> = results.tally.options.iter().map(|t| t.votes).collect();
    assert_eq!(votes, [0, 1, 0]);
    let (results, _) =
        c.w.app
            .voting
            .vote(&c.org, c.poll, one(o[1]))
            .await
            .unwrap();
    assert_eq!(results.tally.options[1].percentage, 100.0);
    assert_eq!(
        (results.tally.total_votes, results.tally.total_voters),
        (2, 2)
    );
}

#[tokio::test]
async fn multiple_choice_takes_distinct_options() {
    let c = cast(Visibility::Public, false, true).await;
    let o = options(&c).await;
    let (results, _) =
        c.w.app
            .voting
            .vote(&c.voter, c.poll, many(&[o[2], o[0]]))
            .await
            .unwrap();
    assert_eq!(results.view.my_votes, [o[0], o[2]]);
    assert_eq!(
        (results.tally.total_votes, results.tally.total_voters),
        (2, 1)
    );
    assert_eq!(results.tally.options[0].percentage, 50.0);
    let errors = fields(
        c.w.app
            .voting
            .vote(&c.voter, c.poll, many(&[o[1], o[1]]))
            .await,
    );
    assert_eq!(errors["option_ids"], vec!["Options must be distinct."]);
    assert_eq!(
        field_names(c.w.app.voting.vote(&c.voter, c.poll, many(&[])).await),
        ["option_ids"]
    );
}

#[tokio::test]
async fn ballots_are_validated() {
    let c = cast(Visibility::Public, false, false).await;
    let o = options(&c).await;
    let app = &c.w.app.voting;
    let errors = fields(app.vote(&c.voter, c.poll, many(&[o[0], o[1]])).await);
    assert_eq!(
        errors["option_ids"],
        vec!["This poll takes exactly one option."]
    );
    let both = VoteInput {
        option_id: Some(o[0].get()),
        option_ids: Some(vec![o[0].get()]),
    };
    assert_eq!(
        field_names(app.vote(&c.voter, c.poll, both).await),
        ["non_field_errors"]
    );
    assert_eq!(
        field_names(app.vote(&c.voter, c.poll, VoteInput::default()).await),
        ["non_field_errors"]
    );
    let other = app
        .create(&c.org, poll(c.event, "Other", &["x", "y"]))
        .await
        .unwrap();
    let foreign = other.options[0].0.id;
    assert_eq!(
        field_names(app.vote(&c.voter, c.poll, one(foreign)).await),
        ["option_id"]
    );
    assert_eq!(
        field_names(app.vote(&c.voter, c.poll, many(&[foreign])).await),
        ["option_ids"]
    );
    assert_eq!(
        field_names(app.vote(&c.voter, c.poll, one(OptionId(-1))).await),
        ["option_id"]
    );
    assert_eq!(
        app.get(None, c.poll).await.unwrap().total_voters,
        0,
        "nothing was counted"
    );
}

#[tokio::test]
async fn only_going_members_vote() {
    let c = cast(Visibility::Public, false, false).await;
    let o = options(&c).await;
    assert_forbidden(c.w.app.voting.vote(&c.outsider, c.poll, one(o[0])).await);
    assert_forbidden(c.w.app.voting.vote(&c.waiting, c.poll, one(o[0])).await);
    assert_forbidden(c.w.app.voting.vote(&c.staff, c.poll, one(o[0])).await);
    let private = cast(Visibility::Private, false, false).await;
    let o = options(&private).await;
    assert_not_found(
        private
            .w
            .app
            .voting
            .vote(&private.outsider, private.poll, one(o[0]))
            .await,
        "Poll",
    );
    assert_not_found(
        c.w.app
            .voting
            .vote(&c.voter, PollId(987_654), one(o[0]))
            .await,
        "Poll",
    );
}

#[tokio::test]
async fn closed_and_ended_polls_take_no_votes() {
    let c = cast(Visibility::Public, false, false).await;
    let o = options(&c).await;
    let app = &c.w.app.voting;
    app.vote(&c.voter, c.poll, one(o[0])).await.unwrap();
    app.close(&c.creator, c.poll).await.unwrap();
    assert_conflict(
        app.vote(&c.voter, c.poll, one(o[1])).await,
        ConflictCode::PollClosed,
    );
    assert_conflict(
        app.retract(&c.voter, c.poll).await,
        ConflictCode::PollClosed,
    );
    assert_eq!(
        app.get(Some(&c.voter), c.poll).await.unwrap().my_votes,
        [o[0]]
    );

    let ends = c.w.now() + Duration::minutes(10);
    let timed = PollInput {
        ends_at: Some(Some(ends)),
        ..poll(c.event, "Timed", &["a", "b"])
    };
    let timed = app.create(&c.org, timed).await.unwrap();
    let a = timed.options[0].0.id;
    app.vote(&c.voter, timed.poll.id, one(a)).await.unwrap();
    c.w.clock.advance(Duration::minutes(10));
    assert_conflict(
        app.vote(&c.voter, timed.poll.id, one(a)).await,
        ConflictCode::PollClosed,
    );
    assert_conflict(
        app.retract(&c.voter, timed.poll.id).await,
        ConflictCode::PollClosed,
    );
    assert!(
        !app.results(None, timed.poll.id)
            .await
            .unwrap()
            .view
            .poll
            .is_open(c.w.now())
    );
}

#[tokio::test]
async fn retracting_removes_the_ballot() {
    let c = cast(Visibility::Public, false, true).await;
    let o = options(&c).await;
    let app = &c.w.app.voting;
    assert_not_found(app.retract(&c.voter, c.poll).await, "Vote");
    app.vote(&c.voter, c.poll, many(&[o[0], o[1]]))
        .await
        .unwrap();
    app.retract(&c.voter, c.poll).await.unwrap();
    let view = app.get(Some(&c.voter), c.poll).await.unwrap();
    assert!(view.my_votes.is_empty());
    assert_eq!(view.total_voters, 0);
    assert_not_found(app.retract(&c.voter, c.poll).await, "Vote");
    let (_, first) = app.vote(&c.voter, c.poll, many(&[o[2]])).await.unwrap();
    assert!(
        first,
        "after a retraction the next vote is a first vote again"
    );
}

#[tokio::test]
async fn voters_are_shown_to_members_of_open_ballots_only() {
    let c = cast(Visibility::Public, false, false).await;
    let o = options(&c).await;
    let app = &c.w.app.voting;
    app.vote(&c.voter, c.poll, one(o[1])).await.unwrap();
    for who in [&c.voter, &c.waiting, &c.staff, &c.org] {
        let voters = app
            .results(Some(who), c.poll)
            .await
            .unwrap()
            .voters
            .unwrap();
        let voters: Vec<_> = voters.into_iter().map(|(id, u)| (id, u.username)).collect();
        assert_eq!(voters, [(o[1], "voter".to_owned())]);
    }
    assert_eq!(
        app.results(Some(&c.outsider), c.poll).await.unwrap().voters,
        None
    );
    let anonymous_viewer = app.results(None, c.poll).await.unwrap();
    assert_eq!(anonymous_viewer.voters, None);
    assert_eq!(anonymous_viewer.tally.total_votes, 1);

    let secret = cast(Visibility::Public, true, false).await;
    let o = options(&secret).await;
    secret
        .w
        .app
        .voting
        .vote(&secret.voter, secret.poll, one(o[0]))
        .await
        .unwrap();
    for who in [&secret.voter, &secret.org, &secret.staff] {
        let results = secret
            .w
            .app
            .voting
            .results(Some(who), secret.poll)
            .await
            .unwrap();
        assert_eq!(results.voters, None);
        assert_eq!(results.tally.winners, [o[0]]);
    }
}

/// One user fires 20 ballots at once: they count once, whichever wins.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_votes_by_one_user_count_once() {
    for multiple_choice in [false, true] {
        let c = cast(Visibility::Public, false, multiple_choice).await;
        let o = options(&c).await;
        let app = Arc::new(c.w.app.clone());
        let barrier = Arc::new(tokio::sync::Barrier::new(20));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..20 {
            let (app, barrier, voter, option) =
                (app.clone(), barrier.clone(), c.voter, o[i % o.len()]);
            tasks.spawn(async move {
                barrier.wait().await;
                app.voting
                    .vote(&voter, c.poll, one(option))
                    .await
                    .map(|(_, first)| first)
            });
        }
        let mut firsts = 0;
        while let Some(joined) = tasks.join_next().await {
            firsts += usize::from(joined.unwrap().unwrap());
        }
        assert_eq!(firsts, 1, "exactly one ballot is the first");
        let results =
            c.w.app
                .voting
                .results(Some(&c.voter), c.poll)
                .await
                .unwrap();
        assert_eq!(
            (results.tally.total_votes, results.tally.total_voters),
            (1, 1)
        );
        assert_eq!(results.view.my_votes.len(), 1);
        assert_eq!(results.voters.map(|v| v.len()), Some(1));
    }
}
