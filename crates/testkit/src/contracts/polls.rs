//! `PollRepo`: creating and reading polls with their options, changing
//! them (options only while nobody voted), closing and deleting.

use std::collections::HashSet;

use gatherhub_domain::poll::{NewPoll, PollChanges, PollDescription, PollOptions, PollTitle};
use gatherhub_domain::user::User;
use gatherhub_domain::{EventId, OptionId, PollId};
use gatherhub_ports::{Conflict, PollView, Repositories};

use crate::fixtures::*;

pub(crate) fn option_ids(view: &PollView) -> Vec<OptionId> {
    view.options.iter().map(|(o, _)| o.id).collect()
}

pub(crate) async fn view(repos: &Repositories, poll: PollId, viewer: Option<&User>) -> PollView {
    repos
        .polls
        .get_poll(poll, viewer.map(|u| u.id))
        .await
        .unwrap()
        .unwrap()
}

/// An event organized by `alice` with every other user as a going member.
pub(crate) async fn setup(repos: &Repositories, alice: &User, others: &[&User]) -> EventId {
    let id = event(repos, alice, None).await.event.id;
    join_all(repos, id, others).await;
    id
}

pub(crate) fn multiple(event: EventId, options: &[&str]) -> NewPoll {
    NewPoll {
        multiple_choice: true,
        ..new_poll(event, "Which days suit you?", options)
    }
}

pub async fn poll_create_and_get(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = setup(&repos, &alice, &[&bob]).await;
    let at = now();
    let input = NewPoll {
        description: PollDescription::parse("Where should we hold the next meetup?").unwrap(),
        anonymous: true,
        ends_at: Some(at + days(2)),
        ..new_poll(id, "Choose the venue", &["Park", "Beach", "Museum"])
    };
    let created = repos.polls.create_poll(input, bob.id, at).await.unwrap();
    let poll = &created.poll;
    assert!(poll.id.get() > 0);
    assert_eq!(
        (poll.event_id, poll.title.as_str()),
        (id, "Choose the venue")
    );
    assert_eq!(poll.description, "Where should we hold the next meetup?");
    assert_eq!(
        (poll.multiple_choice, poll.anonymous, poll.closed),
        (false, true, false)
    );
    assert_eq!(
        (poll.ends_at, poll.created_by),
        (Some(at + days(2)), bob.id)
    );
    assert_eq!((poll.created_at, poll.updated_at), (at, at));
    let texts: Vec<&str> = created
        .options
        .iter()
        .map(|(o, _)| o.text.as_str())
        .collect();
    assert_eq!(
        texts,
        vec!["Park", "Beach", "Museum"],
        "options keep their order"
    );
    assert!(
        created
            .options
            .iter()
            .all(|(o, votes)| o.poll_id == poll.id && *votes == 0)
    );
    let positions: Vec<i32> = created.options.iter().map(|(o, _)| o.position).collect();
    assert!(
        positions.windows(2).all(|w| w[0] < w[1]),
        "positions follow the order: {positions:?}"
    );
    assert_eq!(
        option_ids(&created)
            .into_iter()
            .collect::<HashSet<_>>()
            .len(),
        3
    );
    assert_eq!(created.created_by, bob.summary());
    assert_eq!(
        (created.total_voters, created.my_votes.clone()),
        (0, vec![])
    );
    assert_eq!(view(&repos, poll.id, Some(&bob)).await, created);
    assert_eq!(
        repos.polls.get_poll(PollId(MISSING), None).await.unwrap(),
        None
    );

    let orphan = new_poll(EventId(MISSING), "Orphan", &["a", "b"]);
    assert_not_found(repos.polls.create_poll(orphan, alice.id, at).await);
}

pub async fn poll_update_fields_and_options(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = setup(&repos, &alice, &[&bob]).await;
    let created = poll(&repos, id, &alice).await;
    let p = created.poll.id;
    let later = now() + secs(5);
    let ends_at = later + days(1);
    let changes = PollChanges {
        title: Some(PollTitle::parse("Renamed").unwrap()),
        description: Some(PollDescription::parse("Now with details").unwrap()),
        ends_at: Some(Some(ends_at)),
        options: None,
    };
    let updated = repos
        .polls
        .update_poll(p, changes, bob.id, later)
        .await
        .unwrap();
    assert_eq!(
        (
            updated.poll.title.as_str(),
            updated.poll.description.as_str()
        ),
        ("Renamed", "Now with details")
    );
    assert_eq!(
        (updated.poll.ends_at, updated.poll.updated_at),
        (Some(ends_at), later)
    );
    assert_eq!(updated.poll.created_at, created.poll.created_at);
    assert_eq!(
        updated.options, created.options,
        "options stay unless replaced"
    );
    assert_eq!(view(&repos, p, Some(&bob)).await, updated);

    let replace = |texts: &[&str]| PollChanges {
        title: Some(PollTitle::parse("Replaced").unwrap()),
        options: Some(PollOptions::parse(texts).unwrap()),
        ..Default::default()
    };
    let replaced = repos
        .polls
        .update_poll(p, replace(&["North", "South"]), alice.id, later)
        .await
        .unwrap();
    let texts: Vec<&str> = replaced
        .options
        .iter()
        .map(|(o, _)| o.text.as_str())
        .collect();
    assert_eq!(texts, vec!["North", "South"]);
    let old = created.options[0].0.id;
    assert_invalid(
        repos.polls.cast_vote(p, bob.id, &[old], now()).await,
        "option_ids",
    );

    let north = replaced.options[0].0.id;
    repos
        .polls
        .cast_vote(p, bob.id, &[north], now())
        .await
        .unwrap();
    let blocked = repos
        .polls
        .update_poll(p, replace(&["East", "West"]), alice.id, later)
        .await;
    assert_conflict(blocked, Conflict::PollHasVotes);
    let stored = view(&repos, p, None).await;
    assert_eq!(
        stored.poll.title, "Replaced",
        "a refused update writes nothing"
    );
    assert_eq!(counts(&stored), vec![1, 0]);
    let retitle = PollChanges {
        title: Some(PollTitle::parse("Still editable").unwrap()),
        ..Default::default()
    };
    let retitled = repos
        .polls
        .update_poll(p, retitle, alice.id, later)
        .await
        .unwrap();
    assert_eq!(
        (retitled.poll.title.as_str(), counts(&retitled)),
        ("Still editable", vec![1, 0])
    );
    let no_end = PollChanges {
        ends_at: Some(None),
        ..Default::default()
    };
    assert_eq!(
        repos
            .polls
            .update_poll(p, no_end, alice.id, later)
            .await
            .unwrap()
            .poll
            .ends_at,
        None
    );
    assert_not_found(
        repos
            .polls
            .update_poll(PollId(MISSING), PollChanges::default(), alice.id, later)
            .await,
    );
}

pub async fn poll_close_is_idempotent(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = setup(&repos, &alice, &[&bob]).await;
    let created = poll(&repos, id, &alice).await;
    let p = created.poll.id;
    let b = created.options[1].0.id;
    repos.polls.cast_vote(p, bob.id, &[b], now()).await.unwrap();
    let at = now();
    let closed = repos.polls.close_poll(p, bob.id, at).await.unwrap();
    assert!(closed.poll.closed && !closed.poll.is_open(at));
    assert_eq!(
        (counts(&closed), closed.my_votes.clone()),
        (vec![0, 1, 0], vec![b]),
        "votes survive closing"
    );
    let again = repos
        .polls
        .close_poll(p, bob.id, at + secs(1))
        .await
        .unwrap();
    assert!(again.poll.closed);
    assert_eq!(counts(&again), vec![0, 1, 0]);
    assert_not_found(repos.polls.close_poll(PollId(MISSING), alice.id, at).await);
}

pub async fn poll_delete(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = setup(&repos, &alice, &[&bob]).await;
    let doomed = poll(&repos, id, &alice).await;
    let kept = poll(&repos, id, &alice).await;
    let option = doomed.options[0].0.id;
    repos
        .polls
        .cast_vote(doomed.poll.id, bob.id, &[option], now())
        .await
        .unwrap();
    repos.polls.delete_poll(doomed.poll.id).await.unwrap();
    assert_eq!(
        repos.polls.get_poll(doomed.poll.id, None).await.unwrap(),
        None
    );
    assert_not_found(
        repos
            .polls
            .cast_vote(doomed.poll.id, bob.id, &[option], now())
            .await,
    );
    assert_not_found(repos.polls.delete_poll(doomed.poll.id).await);
    assert_eq!(view(&repos, kept.poll.id, Some(&alice)).await, kept);
}
