//! Who may see, change and delete tasks; anonymous callers.

use super::*;

#[tokio::test]
async fn only_going_members_create_and_see_tasks() {
    let s = setup().await;
    let body = json!({"event": s.event, "title": "x"});
    expect_error(
        s.app
            .post("/api/v1/tasks/", &body, Some(&s.out.access))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let private = s
        .app
        .create_event(&s.org, json!({"visibility": "private"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let hidden = json!({"event": private, "title": "x"});
    let response = s
        .app
        .post("/api/v1/tasks/", &hidden, Some(&s.out.access))
        .await;
    let error = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(error["details"]["event"], json!(["Invalid event."]));

    let task = create(&s, &s.bob, body).await;
    expect_error(
        s.app.get(&path(&task), Some(&s.out.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let secret = create(&s, &s.org, hidden).await;
    expect_error(
        s.app.get(&path(&secret), Some(&s.out.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let patch = s
        .app
        .patch(
            &path(&secret),
            &json!({"title": "mine"}),
            Some(&s.out.access),
        )
        .await;
    expect_error(patch, StatusCode::NOT_FOUND, "not_found").await;
    expect_error(
        s.app
            .get("/api/v1/tasks/987654/", Some(&s.org.access))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;

    // A waitlisted member sees no tasks either.
    let full = s
        .app
        .create_event(&s.org, json!({"max_participants": 1}))
        .await["id"]
        .as_i64()
        .unwrap();
    let waiting = join(&s.app, full, &s.carol).await;
    assert_eq!(waiting["status"], "waitlisted");
    let full_task = create(&s, &s.org, json!({"event": full, "title": "x"})).await;
    expect_error(
        s.app.get(&path(&full_task), Some(&s.carol.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let list = expect_status(
        s.app.get("/api/v1/tasks/", Some(&s.carol.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        list["count"], 1,
        "carol sees the public event's task only: {list}"
    );
}

#[tokio::test]
async fn anonymous_and_bad_tokens_get_401() {
    let s = setup().await;
    let task = create(&s, &s.bob, json!({"event": s.event, "title": "x"})).await;
    for response in [
        s.app.get("/api/v1/tasks/", None).await,
        s.app.get(&path(&task), None).await,
        s.app
            .post(
                "/api/v1/tasks/",
                &json!({"event": s.event, "title": "x"}),
                None,
            )
            .await,
        s.app
            .post(&format!("{}complete/", path(&task)), &json!({}), None)
            .await,
    ] {
        assert_eq!(response.headers()["www-authenticate"], "Bearer");
        expect_error(response, StatusCode::UNAUTHORIZED, "unauthorized").await;
    }
    let response = s.app.get("/api/v1/tasks/", Some("not-a-token")).await;
    expect_error(response, StatusCode::UNAUTHORIZED, "token_invalid").await;
}

#[tokio::test]
async fn who_may_change_and_delete() {
    let s = setup().await;
    let task = create(
        &s,
        &s.bob,
        json!({"event": s.event, "title": "x", "assignee_id": s.carol.id}),
    )
    .await;
    let p = path(&task);
    expect_error(
        s.app
            .patch(&p, &json!({"title": "y"}), Some(&s.out.access))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    // The assignee moves the status along, and nothing else.
    expect_error(
        s.app
            .patch(&p, &json!({"title": "y"}), Some(&s.carol.access))
            .await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let done = expect_status(
        s.app
            .patch(&p, &json!({"status": "done"}), Some(&s.carol.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(done["status"], "done");
    assert!(
        done["completed_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );
    let reopened = expect_status(
        s.app
            .patch(&p, &json!({"status": "in_progress"}), Some(&s.bob.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(reopened["completed_at"], Value::Null);
    // The organizer changes anything but the event; PUT needs the title.
    let other = s.app.create_event(&s.org, json!({})).await["id"]
        .as_i64()
        .unwrap();
    let put = s
        .app
        .put(&p, &json!({"priority": "low"}), Some(&s.org.access))
        .await;
    let error = expect_error(put, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        error["details"],
        json!({"title": ["This field is required."]})
    );
    let body = json!({"title": "Renamed", "priority": "low", "event": other, "assignee_id": null});
    let put = expect_status(
        s.app.put(&p, &body, Some(&s.org.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (put["title"].as_str(), put["event"].as_i64()),
        (Some("Renamed"), Some(s.event))
    );
    assert_eq!(put["assignee"], Value::Null);
    let bad = s
        .app
        .patch(&p, &json!({"status": "finished"}), Some(&s.org.access))
        .await;
    expect_error(bad, StatusCode::BAD_REQUEST, "validation_error").await;

    expect_error(
        s.app.delete(&p, Some(&s.carol.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_status(
        s.app.delete(&p, Some(&s.bob.access)).await,
        StatusCode::NO_CONTENT,
    )
    .await;
    expect_error(
        s.app.get(&p, Some(&s.bob.access)).await,
        StatusCode::NOT_FOUND,
        "not_found",
    )
    .await;
    let response = s
        .app
        .request(reqwest::Method::POST, &p, None, Some(&s.bob.access))
        .await;
    assert_eq!(response.headers()["allow"], "GET, PUT, PATCH, DELETE");
    expect_error(
        response,
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
    )
    .await;
}
