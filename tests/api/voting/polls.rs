//! Creating, validating, changing, closing and deleting polls.

use super::*;

#[tokio::test]
async fn a_member_creates_a_poll_in_the_contract_shape() {
    let s = setup().await;
    let ends = hours_from_now(24);
    let body = json!({"event": s.event, "title": "When", "description": "Pick days", "options": options(&["Mon", "Tue"]),
        "multiple_choice": true, "anonymous": true, "ends_at": ends, "id": 77, "is_open": false, "total_votes": 9});
    let poll = create(&s.app, &s.org, body).await;
    assert_eq!(
        keys(&poll),
        [
            "anonymous",
            "created_at",
            "created_by",
            "description",
            "ends_at",
            "event",
            "id",
            "is_open",
            "multiple_choice",
            "my_votes",
            "options",
            "title",
            "total_voters",
            "total_votes"
        ]
    );
    assert_ne!(poll["id"], 77);
    assert_eq!(keys(&poll["options"][0]), ["id", "text", "vote_count"]);
    assert_eq!(poll["options"][1]["text"], "Tue");
    assert_eq!(
        (poll["is_open"].as_bool(), poll["total_votes"].as_i64()),
        (Some(true), Some(0))
    );
    assert_eq!(
        (
            poll["multiple_choice"].as_bool(),
            poll["anonymous"].as_bool()
        ),
        (Some(true), Some(true))
    );
    assert_eq!(poll["my_votes"], json!([]));
    assert_eq!(
        keys(&poll["created_by"]),
        ["first_name", "id", "last_name", "username"]
    );
    assert!(poll["ends_at"].as_str().unwrap().ends_with('Z'));
    let read = expect_status(s.app.get(&path(&poll, ""), None).await, StatusCode::OK).await;
    assert_eq!(read, poll);
}

#[tokio::test]
async fn bad_polls_are_validation_errors_per_field() {
    let s = setup().await;
    let error = expect_error(
        s.app
            .post("/api/v1/voting/", &json!({}), Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(keys(&error["details"]), ["event", "options", "title"]);
    let past = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339();
    let body =
        json!({"event": s.event, "title": "", "options": options(&["one"]), "ends_at": past});
    let error = expect_error(
        s.app
            .post("/api/v1/voting/", &body, Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(keys(&error["details"]), ["ends_at", "options", "title"]);
    let same = json!({"event": s.event, "title": "x", "options": options(&["A", "a"])});
    let error = expect_error(
        s.app
            .post("/api/v1/voting/", &same, Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        error["details"]["options"],
        json!(["Options must be distinct."])
    );
    let strings = json!({"event": s.event, "title": "x", "options": ["A", "B"]});
    expect_error(
        s.app
            .post("/api/v1/voting/", &strings, Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    let private = s
        .app
        .create_event(&s.org, json!({"visibility": "private"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let hidden = json!({"event": private, "title": "x", "options": options(&["a", "b"])});
    let error = expect_error(
        s.app
            .post("/api/v1/voting/", &hidden, Some(&s.out.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(error["details"]["event"], json!(["Invalid event."]));
    let visible = json!({"event": s.event, "title": "x", "options": options(&["a", "b"])});
    expect_error(
        s.app
            .post("/api/v1/voting/", &visible, Some(&s.out.access))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        s.app.post("/api/v1/voting/", &visible, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
}

#[tokio::test]
async fn managing_closing_and_retracting() {
    let s = setup().await;
    let p = path(&s.poll, "");
    expect_error(
        s.app
            .patch(&p, &json!({"title": "x"}), Some(&s.out.access))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let body = json!({"title": "Where", "event": 987, "anonymous": true, "options": options(&["Hall", "Beach"])});
    let updated = expect_status(
        s.app.patch(&p, &body, Some(&s.org.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (updated["title"].as_str(), updated["event"].as_i64()),
        (Some("Where"), Some(s.event))
    );
    assert_eq!(
        (
            updated["anonymous"].as_bool(),
            updated["options"][1]["text"].as_str()
        ),
        (Some(false), Some("Beach"))
    );
    let put = s
        .app
        .put(&p, &json!({"description": "d"}), Some(&s.bob.access))
        .await;
    let error = expect_error(put, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        error["details"],
        json!({"title": ["This field is required."]})
    );

    let vote = path(&s.poll, "vote/");
    let ballot = json!({"option_id": option(&updated, 0)});
    expect_status(
        s.app.post(&vote, &ballot, Some(&s.bob.access)).await,
        StatusCode::CREATED,
    )
    .await;
    let locked = s
        .app
        .patch(
            &p,
            &json!({"options": options(&["X", "Y"])}),
            Some(&s.bob.access),
        )
        .await;
    expect_error(locked, StatusCode::CONFLICT, "conflict").await;

    expect_status(
        s.app.delete(&vote, Some(&s.bob.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_error(
        s.app.delete(&vote, Some(&s.bob.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    expect_status(
        s.app.post(&vote, &ballot, Some(&s.bob.access)).await,
        StatusCode::CREATED,
    )
    .await;

    let close = path(&s.poll, "close/");
    expect_error(
        s.app.post(&close, &json!({}), Some(&s.out.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let closed = expect_status(
        s.app.post(&close, &json!({}), Some(&s.bob.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(closed["is_open"], false);
    expect_status(
        s.app.post(&close, &json!({}), Some(&s.org.access)).await,
        StatusCode::OK,
    )
    .await;
    expect_error(
        s.app.post(&vote, &ballot, Some(&s.bob.access)).await,
        StatusCode::CONFLICT,
        "poll_closed",
    )
    .await;
    expect_error(
        s.app.delete(&vote, Some(&s.bob.access)).await,
        StatusCode::CONFLICT,
        "poll_closed",
    )
    .await;
    let response = s.app.get(&vote, Some(&s.bob.access)).await;
    assert_eq!(response.headers()["allow"], "POST, DELETE");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;

    expect_error(
        s.app.delete(&p, Some(&s.out.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_status(
        s.app.delete(&p, Some(&s.org.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_error(
        s.app.get(&p, None).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
}
