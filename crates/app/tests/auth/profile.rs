//! The own profile: editing it, changing the email (needs the password) and
//! changing the password (ends every session).

use gatherhub_app::AppError;
use gatherhub_app::auth::{ChangePasswordInput, LoginInput, Principal, ProfileInput};

use crate::support::{Harness, PASSWORD, field_errors, harness, messages};

async fn signed_in(h: &Harness, username: &str) -> Principal {
    let tokens = h.register(username).await.tokens;
    h.auth.authenticate(&tokens.access).await.unwrap()
}

fn login(username: &str, password: &str) -> LoginInput {
    LoginInput {
        username: Some(username.to_owned()),
        password: Some(password.to_owned()),
    }
}

#[tokio::test]
async fn profile_fields_change_and_absent_ones_stay() {
    let h = harness();
    let me = signed_in(&h, "alice").await;
    for partial in [true, false] {
        let input = ProfileInput {
            bio: Some(format!("  Bio {partial}  ")),
            ..ProfileInput::default()
        };
        let user = h.auth.update_profile(&me, input, partial).await.unwrap();
        assert_eq!(user.bio, format!("Bio {partial}"));
        assert_eq!(user.first_name, "Ada");
        assert_eq!(user.email, "alice@example.com");
    }
    let input = ProfileInput {
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        ..ProfileInput::default()
    };
    let user = h.auth.update_profile(&me, input, false).await.unwrap();
    assert_eq!(
        (user.first_name.as_str(), user.last_name.as_str()),
        ("Grace", "Hopper")
    );
    assert_eq!(h.auth.profile(&me).await.unwrap(), user);
}

#[tokio::test]
async fn profile_validation_collects_every_field() {
    let h = harness();
    let me = signed_in(&h, "alice").await;
    let input = ProfileInput {
        first_name: Some("x".repeat(151)),
        last_name: Some("y".repeat(151)),
        bio: Some("b".repeat(2001)),
        email: Some("broken".into()),
        current_password: None,
    };
    let fields: Vec<String> = field_errors(h.auth.update_profile(&me, input, true).await)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["bio", "email", "first_name", "last_name"]);
    assert_eq!(h.auth.profile(&me).await.unwrap().bio, "");
}

#[tokio::test]
async fn changing_the_email_needs_the_current_password() {
    let h = harness();
    let me = signed_in(&h, "alice").await;
    let change = |password: Option<&str>| ProfileInput {
        email: Some("new@example.com".into()),
        current_password: password.map(str::to_owned),
        ..ProfileInput::default()
    };
    assert_eq!(
        messages(
            h.auth.update_profile(&me, change(None), true).await,
            "current_password"
        ),
        ["This field is required when changing the email."]
    );
    assert_eq!(
        messages(
            h.auth
                .update_profile(&me, change(Some("wrong-password-1")), true)
                .await,
            "current_password"
        ),
        ["Current password is incorrect."]
    );
    assert_eq!(
        h.auth.profile(&me).await.unwrap().email,
        "alice@example.com"
    );

    let user = h
        .auth
        .update_profile(&me, change(Some(PASSWORD)), true)
        .await
        .unwrap();
    assert_eq!(user.email, "new@example.com");
    h.auth
        .login(login("new@example.com", PASSWORD))
        .await
        .unwrap();

    // Re-sending the current address is no change: no password needed.
    let same = ProfileInput {
        email: Some("new@example.com".into()),
        bio: Some("hi".into()),
        ..ProfileInput::default()
    };
    assert_eq!(
        h.auth.update_profile(&me, same, false).await.unwrap().bio,
        "hi"
    );
}

#[tokio::test]
async fn an_email_of_another_user_is_refused() {
    let h = harness();
    h.register("bob").await;
    let me = signed_in(&h, "alice").await;
    let input = ProfileInput {
        email: Some("BOB@example.com".into()),
        current_password: Some(PASSWORD.into()),
        ..ProfileInput::default()
    };
    assert_eq!(
        messages(h.auth.update_profile(&me, input, true).await, "email"),
        ["A user with that email already exists."]
    );
}

#[tokio::test]
async fn changing_the_password_ends_every_session_and_starts_a_new_one() {
    let h = harness();
    let first = h.register("alice").await.tokens;
    let second = h.auth.login(login("alice", PASSWORD)).await.unwrap().tokens;
    let me = h.auth.authenticate(&first.access).await.unwrap();
    let other = h.auth.authenticate(&second.access).await.unwrap();
    let bob = h.register("bob").await.tokens;

    let input = ChangePasswordInput {
        current_password: Some(PASSWORD.into()),
        new_password: Some("another-Horse-42".into()),
    };
    let changed = h.auth.change_password(&me, input).await.unwrap();
    let mut revoked = changed.revoked_sessions.clone();
    revoked.sort();
    let mut expected = vec![me.session_id.clone(), other.session_id.clone()];
    expected.sort();
    assert_eq!(revoked, expected);
    for old in [&first, &second] {
        assert!(matches!(
            h.auth.authenticate(&old.access).await,
            Err(AppError::TokenRevoked)
        ));
        assert!(matches!(
            h.auth.refresh(Some(old.refresh.clone())).await,
            Err(AppError::TokenRevoked)
        ));
    }
    let now = h.auth.authenticate(&changed.tokens.access).await.unwrap();
    assert_eq!(now.user.id, me.user.id);
    h.auth.refresh(Some(changed.tokens.refresh)).await.unwrap();
    h.auth.authenticate(&bob.access).await.unwrap();

    assert!(matches!(
        h.auth.login(login("alice", PASSWORD)).await,
        Err(AppError::InvalidCredentials)
    ));
    h.auth
        .login(login("alice", "another-Horse-42"))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_password_change_is_checked_before_anything_changes() {
    let h = harness();
    let tokens = h.register("alice").await.tokens;
    let me = h.auth.authenticate(&tokens.access).await.unwrap();
    let attempt = |current: Option<&str>, new: Option<&str>| ChangePasswordInput {
        current_password: current.map(str::to_owned),
        new_password: new.map(str::to_owned),
    };
    let errors = field_errors(h.auth.change_password(&me, attempt(None, None)).await);
    assert_eq!(
        errors.iter().map(|(f, _)| f.as_str()).collect::<Vec<_>>(),
        ["current_password", "new_password"]
    );
    assert_eq!(
        messages(
            h.auth
                .change_password(
                    &me,
                    attempt(Some("wrong-password-1"), Some("another-Horse-42"))
                )
                .await,
            "current_password"
        ),
        ["Current password is incorrect."]
    );
    assert_eq!(
        messages(
            h.auth
                .change_password(&me, attempt(Some(PASSWORD), Some("alice2024!")))
                .await,
            "new_password"
        ),
        ["The password is too similar to the username or email."]
    );
    assert_eq!(
        messages(
            h.auth
                .change_password(&me, attempt(Some(PASSWORD), Some("short")))
                .await,
            "new_password"
        )[0],
        "This password is too short. It must contain at least 8 characters."
    );
    // The session survived every refused attempt, and the password is unchanged.
    h.auth.authenticate(&tokens.access).await.unwrap();
    h.auth.login(login("alice", PASSWORD)).await.unwrap();
}
