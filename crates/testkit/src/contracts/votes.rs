//! `PollRepo` votes: casting replaces a user's ballot as a whole, options
//! must be the poll's own, closed polls refuse, each user counts once per
//! option under concurrency, and who voted for what.

use gatherhub_domain::poll::NewPoll;
use gatherhub_domain::{OptionId, PollId, UserId};
use gatherhub_ports::{Conflict, Repositories};

use super::polls::{multiple, option_ids, setup, view};
use crate::fixtures::*;

pub async fn poll_vote_replaces_previous(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol) = (user(&repos, "bob").await, user(&repos, "carol").await);
    let id = setup(&repos, &alice, &[&bob, &carol]).await;
    let single = poll(&repos, id, &alice).await;
    let [a, b, _c] = option_ids(&single)[..] else {
        panic!("three options")
    };
    let p = single.poll.id;

    assert!(
        repos.polls.cast_vote(p, bob.id, &[a], now()).await.unwrap(),
        "first vote"
    );
    let seen = view(&repos, p, Some(&bob)).await;
    assert_eq!(
        (counts(&seen), seen.total_voters, seen.my_votes),
        (vec![1, 0, 0], 1, vec![a])
    );
    assert!(
        !repos.polls.cast_vote(p, bob.id, &[b], now()).await.unwrap(),
        "a changed vote"
    );
    let seen = view(&repos, p, Some(&bob)).await;
    assert_eq!(
        (counts(&seen), seen.total_voters, seen.my_votes),
        (vec![0, 1, 0], 1, vec![b])
    );
    assert!(
        repos
            .polls
            .cast_vote(p, carol.id, &[b], now())
            .await
            .unwrap()
    );
    let seen = view(&repos, p, Some(&alice)).await;
    assert_eq!(
        (counts(&seen), seen.total_voters, seen.my_votes),
        (vec![0, 2, 0], 2, vec![])
    );
    assert_eq!(view(&repos, p, None).await.my_votes, vec![]);

    let many = repos
        .polls
        .create_poll(multiple(id, &["Mon", "Tue", "Wed"]), alice.id, now())
        .await
        .unwrap();
    let [mon, tue, wed] = option_ids(&many)[..] else {
        panic!("three options")
    };
    let m = many.poll.id;
    assert!(
        repos
            .polls
            .cast_vote(m, bob.id, &[wed, mon], now())
            .await
            .unwrap()
    );
    let seen = view(&repos, m, Some(&bob)).await;
    let mut mine = seen.my_votes.clone();
    mine.sort();
    assert_eq!(
        (counts(&seen), seen.total_voters, mine),
        (vec![1, 0, 1], 1, vec![mon, wed])
    );
    assert!(
        repos
            .polls
            .cast_vote(m, carol.id, &[mon, tue], now())
            .await
            .unwrap()
    );
    assert!(
        !repos
            .polls
            .cast_vote(m, bob.id, &[tue], now())
            .await
            .unwrap()
    );
    let seen = view(&repos, m, Some(&bob)).await;
    assert_eq!(
        (counts(&seen), seen.total_voters, seen.my_votes),
        (vec![1, 2, 0], 2, vec![tue])
    );
}

pub async fn poll_vote_rejects_foreign_option(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = setup(&repos, &alice, &[&bob]).await;
    let first = repos
        .polls
        .create_poll(multiple(id, &["x", "y"]), alice.id, now())
        .await
        .unwrap();
    let second = poll(&repos, id, &alice).await;
    let foreign = second.options[0].0.id;
    let [x, y] = option_ids(&first)[..] else {
        panic!("two options")
    };
    let p = first.poll.id;

    assert_invalid(
        repos.polls.cast_vote(p, bob.id, &[foreign], now()).await,
        "option_ids",
    );
    assert_invalid(
        repos
            .polls
            .cast_vote(p, bob.id, &[OptionId(MISSING)], now())
            .await,
        "option_ids",
    );
    assert_eq!(
        counts(&view(&repos, p, Some(&bob)).await),
        vec![0, 0],
        "nothing written"
    );

    repos.polls.cast_vote(p, bob.id, &[x], now()).await.unwrap();
    assert_invalid(
        repos.polls.cast_vote(p, bob.id, &[y, foreign], now()).await,
        "option_ids",
    );
    let seen = view(&repos, p, Some(&bob)).await;
    assert_eq!(
        (counts(&seen), seen.my_votes),
        (vec![1, 0], vec![x]),
        "the previous ballot stands"
    );
    assert_eq!(
        counts(&view(&repos, second.poll.id, None).await),
        vec![0, 0, 0]
    );
}

pub async fn poll_vote_refused_when_closed_or_ended(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = setup(&repos, &alice, &[&bob]).await;
    let at = now();
    let ends_at = at + hours(1);
    let ending = NewPoll {
        ends_at: Some(ends_at),
        ..new_poll(id, "Soon over", &["a", "b"])
    };
    let ending = repos.polls.create_poll(ending, alice.id, at).await.unwrap();
    let (p, a) = (ending.poll.id, ending.options[0].0.id);
    assert!(
        repos
            .polls
            .cast_vote(p, bob.id, &[a], ends_at - secs(1))
            .await
            .unwrap()
    );
    assert_conflict(
        repos.polls.cast_vote(p, bob.id, &[a], ends_at).await,
        Conflict::PollClosed,
    );
    assert_conflict(
        repos.polls.retract_vote(p, bob.id, ends_at).await,
        Conflict::PollClosed,
    );
    assert_eq!(
        counts(&view(&repos, p, None).await),
        vec![1, 0],
        "the vote stays"
    );

    let closing = poll(&repos, id, &alice).await;
    let (q, b) = (closing.poll.id, closing.options[1].0.id);
    repos.polls.cast_vote(q, bob.id, &[b], now()).await.unwrap();
    repos.polls.close_poll(q, alice.id, now()).await.unwrap();
    assert_conflict(
        repos.polls.cast_vote(q, alice.id, &[b], now()).await,
        Conflict::PollClosed,
    );
    assert_conflict(
        repos.polls.retract_vote(q, bob.id, now()).await,
        Conflict::PollClosed,
    );
    assert_eq!(counts(&view(&repos, q, None).await), vec![0, 1, 0]);

    assert_not_found(
        repos
            .polls
            .cast_vote(PollId(MISSING), bob.id, &[b], now())
            .await,
    );
    assert_not_found(
        repos
            .polls
            .retract_vote(PollId(MISSING), bob.id, now())
            .await,
    );
}

pub async fn poll_retract_vote(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol) = (user(&repos, "bob").await, user(&repos, "carol").await);
    let id = setup(&repos, &alice, &[&bob, &carol]).await;
    let many = repos
        .polls
        .create_poll(multiple(id, &["x", "y"]), alice.id, now())
        .await
        .unwrap();
    let [x, y] = option_ids(&many)[..] else {
        panic!("two options")
    };
    let p = many.poll.id;
    repos
        .polls
        .cast_vote(p, bob.id, &[x, y], now())
        .await
        .unwrap();
    repos
        .polls
        .cast_vote(p, carol.id, &[y], now())
        .await
        .unwrap();
    assert!(repos.polls.retract_vote(p, bob.id, now()).await.unwrap());
    let seen = view(&repos, p, Some(&bob)).await;
    assert_eq!(
        (counts(&seen), seen.total_voters, seen.my_votes),
        (vec![0, 1], 1, vec![])
    );
    assert!(
        !repos.polls.retract_vote(p, bob.id, now()).await.unwrap(),
        "nothing left to retract"
    );
    assert!(
        repos.polls.cast_vote(p, bob.id, &[x], now()).await.unwrap(),
        "voting again is a first vote"
    );
}

pub async fn poll_concurrent_votes_same_user_count_once(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = setup(&repos, &alice, &[&bob]).await;
    let many = repos
        .polls
        .create_poll(multiple(id, &["a", "b", "c", "d"]), alice.id, now())
        .await
        .unwrap();
    let options = option_ids(&many);
    let p = many.poll.id;
    let (r, bob_id) = (repos.clone(), bob.id);
    let ballots: Vec<Vec<OptionId>> = (0..20)
        .map(|i| vec![options[i % 4], options[(i + 1) % 4]])
        .collect();
    let sent = ballots.clone();
    let outcomes = concurrently(20, move |i| {
        let (r, ballot) = (r.clone(), sent[i].clone());
        async move { r.polls.cast_vote(p, bob_id, &ballot, now()).await.unwrap() }
    })
    .await;
    assert_eq!(
        outcomes.iter().filter(|first| **first).count(),
        1,
        "one first vote: {outcomes:?}"
    );
    let seen = view(&repos, p, Some(&bob)).await;
    assert_eq!(seen.total_voters, 1);
    assert_eq!(
        counts(&seen).iter().sum::<u64>(),
        2,
        "one whole ballot remains: {:?}",
        counts(&seen)
    );
    let mut mine = seen.my_votes.clone();
    mine.sort();
    assert!(
        ballots.iter().any(|b| {
            let mut b = b.clone();
            b.sort();
            b == mine
        }),
        "the stored ballot is one that was cast: {mine:?}"
    );

    let single = poll(&repos, id, &alice).await;
    let options = option_ids(&single);
    let (r, q) = (repos.clone(), single.poll.id);
    let outcomes = concurrently(20, move |i| {
        let (r, option) = (r.clone(), options[i % 3]);
        async move {
            r.polls
                .cast_vote(q, bob_id, &[option], now())
                .await
                .unwrap()
        }
    })
    .await;
    assert_eq!(outcomes.iter().filter(|first| **first).count(), 1);
    assert_eq!(counts(&view(&repos, q, None).await).iter().sum::<u64>(), 1);
}

pub async fn poll_concurrent_votes_many_users(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let voters = users(&repos, "voter", 20).await;
    let id = setup(&repos, &alice, &voters.iter().collect::<Vec<_>>()).await;
    let created = poll(&repos, id, &alice).await;
    let options = option_ids(&created);
    let p = created.poll.id;
    let ids: Vec<UserId> = voters.iter().map(|u| u.id).collect();
    let r = repos.clone();
    let outcomes = concurrently(20, move |i| {
        let (r, user, option) = (r.clone(), ids[i], options[i % 3]);
        async move { r.polls.cast_vote(p, user, &[option], now()).await.unwrap() }
    })
    .await;
    assert!(outcomes.iter().all(|first| *first));
    let seen = view(&repos, p, None).await;
    assert_eq!((counts(&seen), seen.total_voters), (vec![7, 7, 6], 20));
}

pub async fn poll_voters_in_option_then_vote_order(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let (bob, carol, dave) = (
        user(&repos, "bob").await,
        user(&repos, "carol").await,
        user(&repos, "dave").await,
    );
    let id = setup(&repos, &alice, &[&bob, &carol, &dave]).await;
    let many = repos
        .polls
        .create_poll(multiple(id, &["a", "b"]), alice.id, now())
        .await
        .unwrap();
    let [a, b] = option_ids(&many)[..] else {
        panic!("two options")
    };
    let p = many.poll.id;
    repos.polls.cast_vote(p, bob.id, &[b], now()).await.unwrap();
    repos
        .polls
        .cast_vote(p, carol.id, &[a, b], now())
        .await
        .unwrap();
    repos
        .polls
        .cast_vote(p, dave.id, &[a], now())
        .await
        .unwrap();
    let voters = repos.polls.poll_voters(p).await.unwrap();
    let expected = vec![
        (a, carol.summary()),
        (a, dave.summary()),
        (b, bob.summary()),
        (b, carol.summary()),
    ];
    assert_eq!(voters, expected);

    // A replaced ballot is a new vote: it goes to the back.
    repos.polls.cast_vote(p, bob.id, &[a], now()).await.unwrap();
    let voters = repos.polls.poll_voters(p).await.unwrap();
    let expected = vec![
        (a, carol.summary()),
        (a, dave.summary()),
        (a, bob.summary()),
        (b, carol.summary()),
    ];
    assert_eq!(voters, expected);
    let empty = poll(&repos, id, &alice).await;
    assert!(
        repos
            .polls
            .poll_voters(empty.poll.id)
            .await
            .unwrap()
            .is_empty()
    );
}
