//! Every voting message type arrives after the REST action that causes it;
//! `vote.cast` carries the results as REST shows them to each receiver.

use gatherhub_e2e::{TestApp, expect_status};
use reqwest::StatusCode;
use serde_json::json;

use super::client::Ws;
use super::messages::check_envelope;

#[tokio::test]
async fn voting_messages_follow_their_rest_actions() {
    let app = TestApp::spawn().await;
    let alice = app.register("vt_alice").await;
    let bob = app.register("vt_bob").await;
    let event = app.create_event(&alice, json!({})).await;
    let id = event["id"].as_i64().unwrap();
    expect_status(
        app.post(
            &format!("/api/v1/events/{id}/join/"),
            &json!({}),
            Some(&bob.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let (mut member, _) = Ws::connect(&app, "voting", Some(&alice.access)).await;
    let (mut anon, _) = Ws::connect(&app, "voting", None).await;

    let poll = expect_status(
        app.post(
            "/api/v1/voting/",
            &json!({"event": id, "title": "Venue?", "options": [{"text": "Hall"}, {"text": "Park"}]}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let poll_id = poll["id"].as_i64().unwrap();
    let path = format!("/api/v1/voting/{poll_id}/");
    let public_poll = expect_status(app.get(&path, None).await, StatusCode::OK).await;
    for ws in [&mut member, &mut anon] {
        let message = ws.expect("poll.created").await;
        check_envelope(&message, "poll.created", id);
        assert_eq!(message["data"], public_poll);
    }

    expect_status(
        app.patch(&path, &json!({"title": "Where?"}), Some(&alice.access))
            .await,
        StatusCode::OK,
    )
    .await;
    let public_poll = expect_status(app.get(&path, None).await, StatusCode::OK).await;
    assert_eq!(member.expect("poll.updated").await["data"], public_poll);
    assert_eq!(anon.expect("poll.updated").await["data"], public_poll);

    let option = poll["options"][1]["id"].as_i64().unwrap();
    let results = expect_status(
        app.post(
            &format!("{path}vote/"),
            &json!({"option_id": option}),
            Some(&bob.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    // Members see who chose what, as REST shows them; others do not.
    let mut cast = member.expect("vote.cast").await;
    check_envelope(&cast, "vote.cast", id);
    assert_eq!(cast["data"]["voter"]["id"], bob.id);
    cast["data"].as_object_mut().unwrap().remove("voter");
    assert_eq!(cast["data"], results);
    assert_eq!(cast["data"]["voters"][option.to_string()][0]["id"], bob.id);
    let mut cast = anon.expect("vote.cast").await;
    assert_eq!(cast["data"]["voter"]["id"], bob.id);
    cast["data"].as_object_mut().unwrap().remove("voter");
    let anonymous_view = expect_status(
        app.get(&format!("{path}results/"), None).await,
        StatusCode::OK,
    )
    .await;
    assert!(anonymous_view.get("voters").is_none());
    assert_eq!(cast["data"], anonymous_view);

    // Withdrawing a ballot changes the results: they are sent, naming nobody.
    expect_status(
        app.delete(&format!("{path}vote/"), Some(&bob.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    let cast = member.expect("vote.cast").await;
    assert!(cast["data"].get("voter").is_none());
    assert_eq!(cast["data"]["total_votes"], 0);
    anon.expect("vote.cast").await;

    let closed = expect_status(
        app.post(&format!("{path}close/"), &json!({}), Some(&alice.access))
            .await,
        StatusCode::OK,
    )
    .await;
    let message = anon.expect("poll.closed").await;
    assert_eq!(message["data"]["is_open"], false);
    assert_eq!(
        message["data"],
        expect_status(app.get(&path, None).await, StatusCode::OK).await
    );
    assert_eq!(message["data"]["id"], closed["id"]);
    member.expect("poll.closed").await;
    expect_status(
        app.post(
            &format!("{path}vote/"),
            &json!({"option_id": option}),
            Some(&bob.access),
        )
        .await,
        StatusCode::CONFLICT,
    )
    .await;
    anon.assert_quiet().await;

    expect_status(
        app.delete(&path, Some(&alice.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    for ws in [&mut member, &mut anon] {
        let message = ws.expect("poll.deleted").await;
        check_envelope(&message, "poll.deleted", id);
        assert_eq!(message["data"], json!({"id": poll_id}));
    }
}

#[tokio::test]
async fn anonymous_ballots_name_no_voter() {
    let app = TestApp::spawn().await;
    let alice = app.register("an_alice").await;
    let event = app.create_event(&alice, json!({})).await;
    let id = event["id"].as_i64().unwrap();
    let (mut member, _) = Ws::connect(&app, "voting", Some(&alice.access)).await;
    let poll = expect_status(
        app.post(
            "/api/v1/voting/",
            &json!({"event": id, "title": "Secret", "anonymous": true, "options": [{"text": "A"}, {"text": "B"}]}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    member.expect("poll.created").await;
    let option = poll["options"][0]["id"].as_i64().unwrap();
    let results = expect_status(
        app.post(
            &format!("/api/v1/voting/{}/vote/", poll["id"]),
            &json!({"option_id": option}),
            Some(&alice.access),
        )
        .await,
        StatusCode::CREATED,
    )
    .await;
    let cast = member.expect("vote.cast").await;
    assert!(cast["data"].get("voter").is_none(), "{cast}");
    assert!(cast["data"].get("voters").is_none(), "{cast}");
    assert_eq!(cast["data"], results);
}
