//! `UserRepo` and `StoreHealth`: accounts unique by username and email
//! ignoring case, lookups, profile changes.

use gatherhub_domain::UserId;
use gatherhub_domain::user::Email;
use gatherhub_ports::{Conflict, NewUser, ProfileUpdate, Repositories};

use crate::fixtures::*;

pub async fn user_create_and_get(repos: Repositories) {
    let at = now();
    let input = NewUser {
        first_name: "Alice".into(),
        last_name: "Liddell".into(),
        date_joined: at,
        ..new_user("Alice", "alice@example.com")
    };
    let alice = repos.users.create(input.clone()).await.unwrap();
    assert!(alice.id.get() > 0);
    assert_eq!(alice.username, "Alice", "the username is stored as given");
    assert_eq!(alice.email, "alice@example.com");
    assert_eq!(alice.password_hash, input.password_hash);
    assert_eq!(
        (alice.first_name.as_str(), alice.last_name.as_str()),
        ("Alice", "Liddell")
    );
    assert_eq!(alice.bio, "");
    assert_eq!(alice.avatar_url, None);
    assert!(!alice.is_staff);
    assert!(alice.is_active, "new users are active");
    assert_eq!(alice.date_joined, at);
    assert_eq!(alice.last_login, None);
    assert_eq!(
        repos.users.get(alice.id).await.unwrap(),
        Some(alice.clone())
    );

    let root = staff(&repos, "root").await;
    assert!(root.is_staff);
    assert_ne!(root.id, alice.id);
    assert!(root.id.get() > 0);
    assert_eq!(repos.users.get(UserId(MISSING)).await.unwrap(), None);
}

pub async fn user_username_taken_ignoring_case(repos: Repositories) {
    user(&repos, "Alice").await;
    let result = repos
        .users
        .create(new_user("aLICE", "other@example.com"))
        .await;
    assert_conflict(result, Conflict::UsernameTaken);
    assert_eq!(
        repos
            .users
            .find_by_login("other@example.com")
            .await
            .unwrap(),
        None,
        "a refused creation writes nothing"
    );
}

pub async fn user_email_taken_ignoring_case(repos: Repositories) {
    user(&repos, "alice").await;
    let result = repos
        .users
        .create(new_user("bob", "ALICE@Example.com"))
        .await;
    assert_conflict(result, Conflict::EmailTaken);
    assert_eq!(repos.users.find_by_username("bob").await.unwrap(), None);
}

pub async fn user_concurrent_creations_one_wins(repos: Repositories) {
    let r = repos.clone();
    let outcomes = concurrently(10, move |i| {
        let r = r.clone();
        async move {
            r.users
                .create(new_user("racer", &format!("racer{i}@example.com")))
                .await
        }
    })
    .await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    for outcome in outcomes.into_iter().filter(|o| o.is_err()) {
        assert_conflict(outcome, Conflict::UsernameTaken);
    }

    let r = repos.clone();
    let outcomes = concurrently(10, move |i| {
        let r = r.clone();
        async move {
            r.users
                .create(new_user(&format!("twin{i}"), "Twin@example.com"))
                .await
        }
    })
    .await;
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    for outcome in outcomes.into_iter().filter(|o| o.is_err()) {
        assert_conflict(outcome, Conflict::EmailTaken);
    }
}

pub async fn user_find_by_login_and_username(repos: Repositories) {
    let alice = user(&repos, "Alice").await;
    user(&repos, "bob").await;
    for login in [
        "Alice",
        "alice",
        "ALICE",
        "alice@example.com",
        "Alice@EXAMPLE.com",
    ] {
        let found = repos.users.find_by_login(login).await.unwrap();
        assert_eq!(found.map(|u| u.id), Some(alice.id), "login {login:?}");
    }
    assert_eq!(repos.users.find_by_login("nobody").await.unwrap(), None);
    assert_eq!(
        repos
            .users
            .find_by_login("nobody@example.com")
            .await
            .unwrap(),
        None
    );

    let found = repos.users.find_by_username("aLiCe").await.unwrap();
    assert_eq!(found, Some(alice));
    assert_eq!(
        repos
            .users
            .find_by_username("alice@example.com")
            .await
            .unwrap(),
        None,
        "find_by_username does not match emails"
    );
}

pub async fn user_update_profile(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;

    let update = ProfileUpdate {
        first_name: Some("Alice".into()),
        bio: Some("Organizes meetups.".into()),
        ..Default::default()
    };
    let updated = repos.users.update_profile(alice.id, update).await.unwrap();
    assert_eq!(updated.first_name, "Alice");
    assert_eq!(updated.last_name, alice.last_name, "None keeps a field");
    assert_eq!(updated.bio, "Organizes meetups.");
    assert_eq!(updated.email, alice.email);
    assert_eq!(
        repos.users.get(alice.id).await.unwrap(),
        Some(updated.clone())
    );

    let update = ProfileUpdate {
        email: Some(Email::parse("alice.new@example.com").unwrap()),
        ..Default::default()
    };
    let updated = repos.users.update_profile(alice.id, update).await.unwrap();
    assert_eq!(updated.email, "alice.new@example.com");
    let found = repos
        .users
        .find_by_login("ALICE.NEW@example.com")
        .await
        .unwrap();
    assert_eq!(found.map(|u| u.id), Some(alice.id));
    assert_eq!(
        repos
            .users
            .find_by_login("alice@example.com")
            .await
            .unwrap(),
        None
    );
    // The old address is free again.
    repos
        .users
        .create(new_user("carol", "alice@example.com"))
        .await
        .unwrap();

    let own_in_other_case = ProfileUpdate {
        email: Some(Email::parse("Alice.New@example.com").unwrap()),
        ..Default::default()
    };
    let updated = repos
        .users
        .update_profile(alice.id, own_in_other_case)
        .await
        .unwrap();
    assert_eq!(
        updated.email, "Alice.New@example.com",
        "one's own email may change case"
    );

    let taken = ProfileUpdate {
        first_name: Some("Changed".into()),
        email: Some(Email::parse("BOB@example.com").unwrap()),
        ..Default::default()
    };
    assert_conflict(
        repos.users.update_profile(alice.id, taken).await,
        Conflict::EmailTaken,
    );
    let stored = repos.users.get(alice.id).await.unwrap().unwrap();
    assert_eq!(
        stored.first_name, "Alice",
        "a refused update writes nothing"
    );
    assert_eq!(stored.email, "Alice.New@example.com");
    assert_eq!(repos.users.get(bob.id).await.unwrap(), Some(bob));

    assert_not_found(
        repos
            .users
            .update_profile(UserId(MISSING), ProfileUpdate::default())
            .await,
    );
}

pub async fn user_set_password_and_record_login(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    repos
        .users
        .set_password(alice.id, "new-hash")
        .await
        .unwrap();
    assert_eq!(
        repos
            .users
            .get(alice.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        "new-hash"
    );
    assert_not_found(repos.users.set_password(UserId(MISSING), "x").await);

    let at = now();
    repos.users.record_login(alice.id, at).await.unwrap();
    assert_eq!(
        repos.users.get(alice.id).await.unwrap().unwrap().last_login,
        Some(at)
    );
}

pub async fn user_set_avatar_returns_previous(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let bob = user(&repos, "bob").await;

    let set = repos
        .users
        .set_avatar(alice.id, Some("/media/avatars/a.png"))
        .await
        .unwrap();
    assert_eq!(set.previous, None);
    assert_eq!(set.user.avatar_url.as_deref(), Some("/media/avatars/a.png"));
    assert_eq!(
        set.user,
        repos.users.get(alice.id).await.unwrap().unwrap(),
        "the returned user is the stored one"
    );
    assert_eq!(set.user.email, alice.email, "nothing else changes");

    let replaced = repos
        .users
        .set_avatar(alice.id, Some("/media/avatars/b.jpg"))
        .await
        .unwrap();
    assert_eq!(replaced.previous.as_deref(), Some("/media/avatars/a.png"));
    assert_eq!(
        replaced.user.avatar_url.as_deref(),
        Some("/media/avatars/b.jpg")
    );

    let cleared = repos.users.set_avatar(alice.id, None).await.unwrap();
    assert_eq!(cleared.previous.as_deref(), Some("/media/avatars/b.jpg"));
    assert_eq!(cleared.user.avatar_url, None);
    assert_eq!(
        repos.users.get(alice.id).await.unwrap().unwrap().avatar_url,
        None
    );
    let again = repos.users.set_avatar(alice.id, None).await.unwrap();
    assert_eq!(again.previous, None, "clearing twice is no error");

    assert_eq!(
        repos.users.get(bob.id).await.unwrap(),
        Some(bob),
        "other users keep theirs"
    );
    assert_not_found(
        repos
            .users
            .set_avatar(UserId(MISSING), Some("/media/avatars/x.png"))
            .await,
    );
}

/// Racing replacements form one chain: each call learns a different
/// previous value, so every replaced file is removed exactly once.
pub async fn user_concurrent_set_avatar_chain(repos: Repositories) {
    let alice = user(&repos, "alice").await;
    let r = repos.clone();
    let id = alice.id;
    let outcomes = concurrently(12, move |i| {
        let r = r.clone();
        async move {
            r.users
                .set_avatar(id, Some(&format!("/media/avatars/{i}.png")))
                .await
                .unwrap()
                .previous
        }
    })
    .await;
    let final_url = repos.users.get(id).await.unwrap().unwrap().avatar_url;
    let mut seen: Vec<Option<String>> = outcomes;
    seen.push(final_url);
    seen.sort();
    let mut expected: Vec<Option<String>> = (0..12)
        .map(|i| Some(format!("/media/avatars/{i}.png")))
        .collect();
    expected.push(None);
    expected.sort();
    assert_eq!(seen, expected, "every value is replaced exactly once");
}

pub async fn health_ping_and_backend(repos: Repositories) {
    repos.health.ping().await.unwrap();
    let backend = repos.health.backend();
    assert!(
        !backend.is_empty() && backend.chars().all(|c| c.is_ascii_lowercase()),
        "{backend:?}"
    );
}
