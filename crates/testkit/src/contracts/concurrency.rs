//! `EventRepo` membership under concurrency: going members never exceed the
//! capacity, a user is never a member twice, and the waitlist stays a gapless
//! FIFO queue however joins and leaves interleave.

use gatherhub_domain::UserId;
use gatherhub_domain::membership::MemberStatus;
use gatherhub_ports::Repositories;

use super::membership::{assert_roster_invariants, members, membership_of};
use crate::fixtures::*;

pub async fn join_concurrent_at_capacity(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let joiners = users(&repos, "joiner", 50).await;
    let id = event(&repos, &alice, Some(10)).await.event.id;
    let r = repos.clone();
    let ids: Vec<UserId> = joiners.iter().map(|u| u.id).collect();
    let outcomes = concurrently(50, move |i| {
        let (r, user) = (r.clone(), ids[i]);
        async move { r.events.join_event(id, user, now()).await.unwrap() }
    })
    .await;
    assert!(outcomes.iter().all(|j| j.created));
    let going = outcomes
        .iter()
        .filter(|j| j.membership.status == MemberStatus::Going)
        .count();
    assert_eq!(going, 9, "capacity 10 counts the organizer: 9 joiners go");
    let mut positions: Vec<u32> = outcomes
        .iter()
        .filter_map(|j| j.membership.waitlist_position)
        .collect();
    positions.sort_unstable();
    assert_eq!(
        positions,
        (1..=41).collect::<Vec<u32>>(),
        "each waitlisted joiner got its own place"
    );

    let view = repos.events.get_event(id, None).await.unwrap().unwrap();
    assert_eq!((view.going, view.waitlisted), (10, 41));
    assert_roster_invariants(&repos, id).await;
    // The stored queue is the order the joins were granted in.
    for member in members(&repos, id).await {
        if let Some(position) = member.membership.waitlist_position {
            let granted = outcomes
                .iter()
                .find(|j| j.membership.user_id == member.user.id)
                .unwrap();
            assert_eq!(granted.membership.waitlist_position, Some(position));
        }
    }
}

pub async fn join_same_user_concurrently_once(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    let id = event(&repos, &alice, Some(3)).await.event.id;
    let r = repos.clone();
    let outcomes = concurrently(20, move |_| {
        let r = r.clone();
        async move { r.events.join_event(id, bob.id, now()).await.unwrap() }
    })
    .await;
    assert_eq!(
        outcomes.iter().filter(|j| j.created).count(),
        1,
        "exactly one join creates"
    );
    let created = outcomes.iter().find(|j| j.created).unwrap();
    assert!(outcomes.iter().all(|j| j.membership == created.membership));
    assert_eq!(members(&repos, id).await.len(), 2);

    // Several users, each joining several times at once, around the last place.
    let crowd = users(&repos, "crowd", 5).await;
    let ids: Vec<UserId> = crowd.iter().map(|u| u.id).collect();
    let r = repos.clone();
    let outcomes = concurrently(30, move |i| {
        let (r, user) = (r.clone(), ids[i % 5]);
        async move { r.events.join_event(id, user, now()).await.unwrap() }
    })
    .await;
    for user in &crowd {
        let created = outcomes
            .iter()
            .filter(|j| j.created && j.membership.user_id == user.id)
            .count();
        assert_eq!(created, 1, "{} joined once", user.username);
    }
    let view = repos.events.get_event(id, None).await.unwrap().unwrap();
    assert_eq!((view.going, view.waitlisted), (3, 4));
    assert_roster_invariants(&repos, id).await;
}

pub async fn join_leave_storm_keeps_invariants(repos: Repositories) {
    const CAP: u64 = 5;
    let alice = user(&repos, "alice").await;
    let crowd = users(&repos, "storm", 16).await;
    let id = event(&repos, &alice, Some(CAP as i64)).await.event.id;
    let ids: Vec<UserId> = crowd.iter().map(|u| u.id).collect();
    let r = repos.clone();
    // 16 members churn while 2 observers watch the counts.
    concurrently(18, move |i| {
        let r = r.clone();
        let user = ids.get(i).copied();
        async move {
            match user {
                Some(user) => {
                    for round in 0..8 {
                        let joined = r.events.join_event(id, user, now()).await.unwrap();
                        assert!(joined.created, "the user had left before");
                        tokio::task::yield_now().await;
                        // Odd users stay after their last round.
                        if round < 7 || i % 2 == 0 {
                            r.events.leave_event(id, user).await.unwrap();
                        }
                    }
                }
                None => {
                    for _ in 0..40 {
                        let view = r.events.get_event(id, None).await.unwrap().unwrap();
                        assert!(view.going <= CAP, "going {} exceeds capacity", view.going);
                        assert!(view.going >= 1, "the organizer always goes");
                        tokio::task::yield_now().await;
                    }
                }
            }
        }
    })
    .await;
    let view = repos.events.get_event(id, None).await.unwrap().unwrap();
    assert_eq!(
        (view.going, view.waitlisted),
        (CAP, 4),
        "alice and 8 stayers: 5 going, 4 waiting"
    );
    assert_roster_invariants(&repos, id).await;
    for (i, user) in crowd.iter().enumerate() {
        assert_eq!(
            membership_of(&repos, id, user.id).await.is_some(),
            i % 2 == 1,
            "{}",
            user.username
        );
    }
}
