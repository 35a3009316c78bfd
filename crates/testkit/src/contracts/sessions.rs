//! `SessionRepo`: active sessions, refresh rotation by compare-and-swap,
//! reuse detection and revocation.

use chrono::{DateTime, Utc};
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_ports::{Repositories, Rotation, Session};

use crate::fixtures::*;

/// Stores a session `id` of `user` whose current refresh token is `jti`,
/// created now and expiring in a day; returns its expiry.
async fn login(repos: &Repositories, user: &User, id: &str, jti: &str) -> DateTime<Utc> {
    let at = now();
    let expires_at = at + days(1);
    let session = Session {
        id: id.to_owned(),
        user_id: user.id,
        refresh_jti: jti.to_owned(),
        revoked: false,
        created_at: at,
        expires_at,
    };
    repos.sessions.create_session(session).await.unwrap();
    expires_at
}

async fn active(repos: &Repositories, id: &str, at: DateTime<Utc>) -> Option<UserId> {
    repos
        .sessions
        .session_user(id, at)
        .await
        .unwrap()
        .map(|u| u.id)
}

pub async fn session_create_and_lookup(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let expires_at = login(&repos, &alice, "s1", "j1").await;
    let found = repos.sessions.session_user("s1", now()).await.unwrap();
    assert_eq!(found, Some(alice.clone()), "the session's user, in full");
    assert_eq!(
        active(&repos, "s1", expires_at - secs(1)).await,
        Some(alice.id)
    );
    assert_eq!(
        active(&repos, "s1", expires_at).await,
        None,
        "expired at expires_at"
    );
    assert_eq!(active(&repos, "unknown", now()).await, None);
}

pub async fn session_rotate_chain_and_reuse(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let first_expiry = login(&repos, &alice, "s1", "j1").await;
    let at = now();
    let later = first_expiry + days(1);

    assert_eq!(
        repos
            .sessions
            .rotate("s1", "j1", "j2", at, later)
            .await
            .unwrap(),
        Rotation::Rotated
    );
    assert_eq!(
        active(&repos, "s1", first_expiry + hours(1)).await,
        Some(alice.id),
        "rotation moves the expiry"
    );
    assert_eq!(
        repos
            .sessions
            .rotate("s1", "j2", "j3", at, later)
            .await
            .unwrap(),
        Rotation::Rotated
    );

    // Presenting a used token is theft: the whole session goes.
    assert_eq!(
        repos
            .sessions
            .rotate("s1", "j1", "j9", at, later)
            .await
            .unwrap(),
        Rotation::Reused
    );
    assert_eq!(active(&repos, "s1", at).await, None);
    assert_eq!(
        repos
            .sessions
            .rotate("s1", "j3", "j4", at, later)
            .await
            .unwrap(),
        Rotation::Revoked,
        "even the current token is dead after a reuse"
    );
}

pub async fn session_rotate_refuses_revoked_expired_unknown(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let at = now();
    let expires_at = login(&repos, &alice, "s1", "j1").await;
    let rotate = |id: &'static str, jti: &'static str, when: DateTime<Utc>| {
        let repos = repos.clone();
        async move {
            repos
                .sessions
                .rotate(id, jti, "next", when, when + days(1))
                .await
                .unwrap()
        }
    };
    assert_eq!(rotate("unknown", "j1", at).await, Rotation::Revoked);
    assert_eq!(
        rotate("s1", "j1", expires_at).await,
        Rotation::Revoked,
        "expired"
    );

    login(&repos, &alice, "s2", "k1").await;
    assert!(repos.sessions.revoke_session("s2").await.unwrap());
    assert_eq!(rotate("s2", "k1", at).await, Rotation::Revoked);

    // The expired attempt changed nothing: before expiry the token still works.
    assert_eq!(rotate("s1", "j1", at).await, Rotation::Rotated);
}

pub async fn session_concurrent_rotation_one_wins(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    login(&repos, &alice, "s1", "j1").await;
    let at = now();
    let r = repos.clone();
    let outcomes = concurrently(20, move |i| {
        let r = r.clone();
        async move {
            r.sessions
                .rotate("s1", "j1", &format!("next-{i}"), at, at + days(1))
                .await
                .unwrap()
        }
    })
    .await;
    let rotated = outcomes.iter().filter(|o| **o == Rotation::Rotated).count();
    assert_eq!(
        rotated, 1,
        "exactly one concurrent rotation wins: {outcomes:?}"
    );
    assert!(
        outcomes.contains(&Rotation::Reused),
        "the losers present a used token: {outcomes:?}"
    );
    assert_eq!(
        active(&repos, "s1", at).await,
        None,
        "the reuse revoked the session"
    );
}

pub async fn session_revoke(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    login(&repos, &alice, "s1", "j1").await;
    login(&repos, &alice, "s2", "k1").await;
    assert!(
        repos.sessions.revoke_session("s1").await.unwrap(),
        "it was active"
    );
    assert!(
        !repos.sessions.revoke_session("s1").await.unwrap(),
        "already revoked"
    );
    assert!(!repos.sessions.revoke_session("unknown").await.unwrap());
    assert_eq!(active(&repos, "s1", now()).await, None);
    assert_eq!(
        active(&repos, "s2", now()).await,
        Some(alice.id),
        "other sessions stay"
    );
    let at = now();
    assert_eq!(
        repos
            .sessions
            .rotate("s1", "j1", "j2", at, at + days(1))
            .await
            .unwrap(),
        Rotation::Revoked
    );
}

pub async fn session_revoke_user_sessions(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;
    login(&repos, &alice, "a1", "j").await;
    login(&repos, &alice, "a2", "j").await;
    login(&repos, &alice, "a3", "j").await;
    login(&repos, &bob, "b1", "j").await;
    repos.sessions.revoke_session("a2").await.unwrap();

    let mut revoked = repos.sessions.revoke_user_sessions(alice.id).await.unwrap();
    revoked.sort();
    assert_eq!(
        revoked,
        vec!["a1".to_owned(), "a3".to_owned()],
        "only the ones that were active"
    );
    for id in ["a1", "a2", "a3"] {
        assert_eq!(active(&repos, id, now()).await, None, "{id}");
    }
    assert_eq!(active(&repos, "b1", now()).await, Some(bob.id));
    assert!(
        repos
            .sessions
            .revoke_user_sessions(alice.id)
            .await
            .unwrap()
            .is_empty()
    );
}
