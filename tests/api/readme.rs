//! The README's quick tour, step by step, as a client would run it.

use gatherhub_e2e::{TestApp, expect_status, hours_from_now};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn the_readme_flow_works_verbatim() {
    let app = TestApp::spawn().await;

    let registered = expect_status(
        app.post(
            "/api/v1/auth/register/",
            &json!({"username": "newuser", "email": "newuser@example.com", "password": "correct-horse-battery", "first_name": "John", "last_name": "Doe"}),
            None,
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(registered["user"]["username"], "newuser");
    assert!(registered["access"].is_string() && registered["refresh"].is_string());

    let login = expect_status(
        app.post(
            "/api/v1/auth/login/",
            &json!({"username": "newuser", "password": "correct-horse-battery"}),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    for key in ["access", "refresh"] {
        assert!(login[key].as_str().is_some_and(|t| !t.is_empty()), "{key}");
    }
    assert!(login["user"]["id"].as_i64().is_some());
    assert_eq!(login["user"]["username"], "newuser");
    assert_eq!(login["user"]["email"], "newuser@example.com");
    let token = login["access"].as_str().unwrap().to_owned();

    let event = expect_status(
        app.post(
            "/api/v1/events/",
            &json!({"title": "Community Meetup", "description": "Monthly community gathering", "date": hours_from_now(24 * 7), "location": "Community Center", "max_participants": 50}),
            Some(&token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(event["organizer"]["username"], "newuser");
    assert_eq!(event["membership"]["role"], "organizer");
    assert_eq!(event["participant_count"], 1);
    let event_id = event["id"].as_i64().unwrap();

    let listed = expect_status(
        app.get(
            "/api/v1/events/?search=meetup&ordering=date&page_size=10",
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["count"], 1);
    assert_eq!(listed["results"][0]["id"], event_id);

    let other = app.register("otheruser").await;
    let joined = expect_status(
        app.post(
            &format!("/api/v1/events/{event_id}/join/"),
            &json!({}),
            Some(&other.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(joined["status"], "going");

    let poll = expect_status(
        app.post(
            "/api/v1/voting/",
            &json!({"event": event_id, "title": "Choose the venue", "options": [{"text": "Community Center"}, {"text": "Library"}]}),
            Some(&token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let poll_id = poll["id"].as_i64().unwrap();
    let first_option = poll["options"][0]["id"].as_i64().unwrap();

    let voted = expect_status(
        app.post(
            &format!("/api/v1/voting/{poll_id}/vote/"),
            &json!({"option_id": first_option}),
            Some(&token),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(voted["total_votes"], 1);

    let results = expect_status(
        app.get(&format!("/api/v1/voting/{poll_id}/results/"), Some(&token))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(results["poll"], poll_id);
    assert_eq!(results["winners"], json!([first_option]));
    assert_eq!(results["options"][0]["votes"], 1);
    assert_eq!(results["options"][0]["percentage"], 100.0);
    assert_eq!(
        results["voters"][first_option.to_string()][0]["username"],
        "newuser"
    );
}
