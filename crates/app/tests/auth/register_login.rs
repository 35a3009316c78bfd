//! Registration (each validation rule, uniqueness ignoring case) and login
//! (by username or email, uniform failures).

use gatherhub_app::AppError;
use gatherhub_app::auth::{LoginInput, RegisterInput};

use crate::support::{PASSWORD, field_errors, harness, messages, registration};

fn login(username: &str, password: &str) -> LoginInput {
    LoginInput {
        username: Some(username.to_owned()),
        password: Some(password.to_owned()),
    }
}

#[tokio::test]
async fn register_creates_an_active_user_with_a_working_session() {
    let h = harness();
    let now = gatherhub_ports::Clock::now(h.clock.as_ref());
    let done = h.register("newuser").await;
    assert_eq!(done.user.username, "newuser");
    assert_eq!(done.user.email, "newuser@example.com");
    assert_eq!(done.user.first_name, "Ada");
    assert_eq!(done.user.last_name, "");
    assert!(done.user.is_active && !done.user.is_staff);
    assert_eq!(done.user.last_login, Some(now));
    assert!(done.user.password_hash.starts_with("$argon2id$"));
    let principal = h.auth.authenticate(&done.tokens.access).await.unwrap();
    assert_eq!(principal.user.id, done.user.id);
    assert_eq!(principal.actor.user_id, done.user.id);
    assert!(!principal.actor.is_staff);
    assert_eq!(
        h.auth.profile(&principal).await.unwrap().last_login,
        Some(now)
    );
}

#[tokio::test]
async fn register_reports_every_missing_field_at_once() {
    let h = harness();
    let errors = field_errors(h.auth.register(RegisterInput::default()).await);
    let required = vec!["This field is required.".to_owned()];
    assert_eq!(
        errors,
        vec![
            ("email".to_owned(), required.clone()),
            ("password".to_owned(), required.clone()),
            ("username".to_owned(), required),
        ]
    );
}

#[tokio::test]
async fn register_checks_each_rule() {
    let h = harness();
    let with = |change: fn(&mut RegisterInput)| {
        let mut input = registration("validname");
        change(&mut input);
        input
    };
    let cases: Vec<(RegisterInput, &str, &str)> = vec![
        (
            with(|i| i.username = Some("ab".into())),
            "username",
            "Ensure this field has at least 3 characters.",
        ),
        (
            with(|i| i.username = Some("a".repeat(151))),
            "username",
            "Ensure this field has no more than 150 characters.",
        ),
        (
            with(|i| i.username = Some("bad name".into())),
            "username",
            "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
        ),
        (
            with(|i| i.username = Some("   ".into())),
            "username",
            "This field may not be blank.",
        ),
        (
            with(|i| i.email = Some("not-an-email".into())),
            "email",
            "Enter a valid email address.",
        ),
        (
            with(|i| i.email = Some(String::new())),
            "email",
            "This field may not be blank.",
        ),
        (
            with(|i| i.first_name = Some("x".repeat(151))),
            "first_name",
            "Ensure this field has no more than 150 characters.",
        ),
        (
            with(|i| i.last_name = Some("x".repeat(151))),
            "last_name",
            "Ensure this field has no more than 150 characters.",
        ),
        (
            with(|i| i.password = Some("Xq7!pz".into())),
            "password",
            "This password is too short. It must contain at least 8 characters.",
        ),
        (
            with(|i| i.password = Some("x9!".repeat(43))),
            "password",
            "This password is too long. It must contain at most 128 characters.",
        ),
        (
            with(|i| i.password = Some("8204719365".into())),
            "password",
            "This password is entirely numeric.",
        ),
        (
            with(|i| i.password = Some("password123".into())),
            "password",
            "This password is too common.",
        ),
        (
            with(|i| i.password = Some("validname2024!".into())),
            "password",
            "The password is too similar to the username or email.",
        ),
        (
            with(|i| i.password = Some(String::new())),
            "password",
            "This field may not be blank.",
        ),
    ];
    for (input, field, message) in cases {
        let errors = field_errors(h.auth.register(input).await);
        assert_eq!(errors.len(), 1, "{field}: {errors:?}");
        assert_eq!(errors[0].0, field);
        assert!(
            errors[0].1.iter().any(|m| m == message),
            "{field}: {errors:?} lacks {message}"
        );
    }
    // Nothing was stored by any refused registration.
    assert!(matches!(
        h.auth.login(login("validname", PASSWORD)).await,
        Err(AppError::InvalidCredentials)
    ));
}

#[tokio::test]
async fn register_reports_all_field_errors_together() {
    let h = harness();
    let input = RegisterInput {
        username: Some("x y".into()),
        email: Some("nope".into()),
        password: Some("123".into()),
        first_name: None,
        last_name: Some("z".repeat(200)),
    };
    let fields: Vec<String> = field_errors(h.auth.register(input).await)
        .into_iter()
        .map(|(f, _)| f)
        .collect();
    assert_eq!(fields, ["email", "last_name", "password", "username"]);
}

#[tokio::test]
async fn usernames_and_emails_are_unique_ignoring_case() {
    let h = harness();
    h.register("alice").await;
    let mut same_name = registration("ALICE");
    same_name.email = Some("other@example.com".into());
    assert_eq!(
        messages(h.auth.register(same_name).await, "username"),
        ["A user with that username already exists."]
    );
    let mut same_email = registration("alice2");
    same_email.email = Some("Alice@EXAMPLE.com".into());
    assert_eq!(
        messages(h.auth.register(same_email).await, "email"),
        ["A user with that email already exists."]
    );
}

#[tokio::test]
async fn login_accepts_a_username_or_an_email() {
    let h = harness();
    let alice = h.register("alice").await.user;
    h.clock.advance(chrono::TimeDelta::seconds(10));
    let now = gatherhub_ports::Clock::now(h.clock.as_ref());
    for name in ["alice", "ALICE", "alice@example.com", " Alice@Example.com "] {
        let done = h
            .auth
            .login(login(name, PASSWORD))
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert_eq!(done.user.id, alice.id);
        assert_eq!(done.user.last_login, Some(now));
        let principal = h.auth.authenticate(&done.tokens.access).await.unwrap();
        assert_eq!(principal.user.id, alice.id);
    }
}

#[tokio::test]
async fn every_login_failure_is_the_same_and_runs_the_hasher() {
    let h = harness();
    let bob = h.register("bob").await.user;
    h.register("carol").await;
    h.deactivate(bob.id);
    let attempts = [
        login("nobody", PASSWORD),
        login("carol", "wrong-password-1"),
        login("bob", PASSWORD),
    ];
    for attempt in attempts {
        let before = h.verifies();
        let result = h.auth.login(attempt.clone()).await;
        assert!(
            matches!(result, Err(AppError::InvalidCredentials)),
            "{:?}: {result:?}",
            attempt.username
        );
        assert_eq!(
            h.verifies(),
            before + 1,
            "{:?} skipped the hasher",
            attempt.username
        );
    }
}

#[tokio::test]
async fn login_requires_both_fields() {
    let h = harness();
    let errors = field_errors(h.auth.login(LoginInput::default()).await);
    let fields: Vec<&str> = errors.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(fields, ["password", "username"]);
    assert_eq!(
        messages(h.auth.login(login("", PASSWORD)).await, "username"),
        ["This field may not be blank."]
    );
    assert_eq!(h.verifies(), 0, "invalid input never reaches the hasher");
}

#[tokio::test]
async fn create_superuser_makes_a_staff_account_under_the_same_rules() {
    let h = harness();
    let admin = h
        .auth
        .create_superuser(registration("admin"))
        .await
        .unwrap();
    assert!(admin.is_staff && admin.is_active);
    assert_eq!(admin.last_login, None, "no session is started");
    let logged_in = h.auth.login(login("admin", PASSWORD)).await.unwrap();
    let principal = h.auth.authenticate(&logged_in.tokens.access).await.unwrap();
    assert!(principal.actor.is_staff);

    let weak = RegisterInput {
        password: Some("12345678".to_owned()),
        ..registration("admin2")
    };
    let errors = field_errors(h.auth.create_superuser(weak).await);
    assert_eq!(errors[0].0, "password");
    let taken = field_errors(h.auth.create_superuser(registration("ADMIN")).await);
    assert!(
        taken.iter().any(|(field, _)| field == "username"),
        "{taken:?}"
    );
}
