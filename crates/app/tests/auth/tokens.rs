//! Tokens and sessions: refresh rotation, reuse detection, concurrent
//! refreshes, logout, token kinds and expiry.

use chrono::TimeDelta;
use gatherhub_app::AppError;

use crate::support::{field_errors, harness};

#[tokio::test]
async fn refresh_rotates_and_each_refresh_token_works_once() {
    let h = harness();
    let first = h.register("alice").await.tokens;
    let second = h.auth.refresh(Some(first.refresh.clone())).await.unwrap();
    assert_ne!(second.refresh, first.refresh);
    assert_ne!(second.access, first.access);
    // Both access tokens belong to the still-active session.
    h.auth.authenticate(&first.access).await.unwrap();
    h.auth.authenticate(&second.access).await.unwrap();
    let third = h.auth.refresh(Some(second.refresh.clone())).await.unwrap();
    h.auth.authenticate(&third.access).await.unwrap();
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_revokes_the_whole_session() {
    let h = harness();
    let first = h.register("alice").await.tokens;
    let second = h.auth.refresh(Some(first.refresh.clone())).await.unwrap();

    let reuse = h.auth.refresh(Some(first.refresh.clone())).await;
    assert!(matches!(reuse, Err(AppError::TokenRevoked)), "{reuse:?}");

    let descendant = h.auth.refresh(Some(second.refresh.clone())).await;
    assert!(
        matches!(descendant, Err(AppError::TokenRevoked)),
        "{descendant:?}"
    );
    for access in [&first.access, &second.access] {
        let result = h.auth.authenticate(access).await;
        assert!(matches!(result, Err(AppError::TokenRevoked)), "{result:?}");
    }
}

#[tokio::test]
async fn theft_in_one_session_leaves_the_others_alone() {
    let h = harness();
    let stolen = h.register("alice").await.tokens;
    let other = h
        .auth
        .login(gatherhub_app::auth::LoginInput {
            username: Some("alice".into()),
            password: Some(crate::support::PASSWORD.into()),
        })
        .await
        .unwrap()
        .tokens;
    h.auth.refresh(Some(stolen.refresh.clone())).await.unwrap();
    assert!(h.auth.refresh(Some(stolen.refresh)).await.is_err());
    h.auth.authenticate(&other.access).await.unwrap();
    h.auth.refresh(Some(other.refresh)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn exactly_one_of_twenty_concurrent_refreshes_succeeds() {
    let h = harness();
    let tokens = h.register("alice").await.tokens;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let auth = h.auth.clone();
        let refresh = tokens.refresh.clone();
        calls.spawn(async move { auth.refresh(Some(refresh)).await });
    }
    let results = calls.join_all().await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| r.is_ok() || matches!(r, Err(AppError::TokenRevoked))),
        "{results:?}"
    );
}

#[tokio::test]
async fn logout_ends_the_sessions_refresh_and_access_tokens() {
    let h = harness();
    let tokens = h.register("alice").await.tokens;
    let principal = h.auth.authenticate(&tokens.access).await.unwrap();
    let ended = h.auth.logout(Some(tokens.refresh.clone())).await.unwrap();
    assert_eq!(ended, principal.session_id);
    assert!(matches!(
        h.auth.authenticate(&tokens.access).await,
        Err(AppError::TokenRevoked)
    ));
    assert!(matches!(
        h.auth.refresh(Some(tokens.refresh.clone())).await,
        Err(AppError::TokenRevoked)
    ));
    assert!(matches!(
        h.auth.logout(Some(tokens.refresh)).await,
        Err(AppError::TokenRevoked)
    ));
}

#[tokio::test]
async fn a_token_of_one_kind_is_refused_as_the_other() {
    let h = harness();
    let tokens = h.register("alice").await.tokens;
    assert!(matches!(
        h.auth.authenticate(&tokens.refresh).await,
        Err(AppError::TokenInvalid)
    ));
    assert!(matches!(
        h.auth.refresh(Some(tokens.access.clone())).await,
        Err(AppError::TokenInvalid)
    ));
    assert!(matches!(
        h.auth.logout(Some(tokens.access.clone())).await,
        Err(AppError::TokenInvalid)
    ));
    // Nothing above touched the session.
    h.auth.authenticate(&tokens.access).await.unwrap();
    h.auth.refresh(Some(tokens.refresh)).await.unwrap();
}

#[tokio::test]
async fn garbage_and_missing_tokens() {
    let h = harness();
    assert!(matches!(
        h.auth.authenticate("not.a.jwt").await,
        Err(AppError::TokenInvalid)
    ));
    assert!(matches!(
        h.auth.refresh(Some("garbage".into())).await,
        Err(AppError::TokenInvalid)
    ));
    for result in [
        h.auth.refresh(None).await.map(drop),
        h.auth.logout(None).await.map(drop),
    ] {
        assert_eq!(
            field_errors(result),
            [(
                "refresh".to_owned(),
                vec!["This field is required.".to_owned()]
            )]
        );
    }
}

#[tokio::test]
async fn expired_tokens_are_told_apart() {
    let h = harness();
    let tokens = h.register("alice").await.tokens;
    h.clock.advance(TimeDelta::minutes(16));
    assert!(matches!(
        h.auth.authenticate(&tokens.access).await,
        Err(AppError::TokenExpired)
    ));
    let fresh = h.auth.refresh(Some(tokens.refresh.clone())).await.unwrap();
    h.auth.authenticate(&fresh.access).await.unwrap();
    h.clock.advance(TimeDelta::days(8));
    assert!(matches!(
        h.auth.refresh(Some(fresh.refresh)).await,
        Err(AppError::TokenExpired)
    ));
}

#[tokio::test]
async fn a_token_naming_another_user_than_its_session_is_invalid() {
    use gatherhub_ports::{Clock, TokenIssuer};
    let h = harness();
    let alice = h.register("alice").await.tokens;
    let bob = h.register("bob").await.user;
    let session = h.auth.authenticate(&alice.access).await.unwrap().session_id;
    let forged = h.tokens.issue(bob.id, &session, h.clock.now()).unwrap();
    assert!(matches!(
        h.auth.authenticate(&forged.access).await,
        Err(AppError::TokenInvalid)
    ));
}
