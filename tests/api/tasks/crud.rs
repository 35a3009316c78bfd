//! Creating and reading tasks: the contract shape and validation.

use super::*;

#[tokio::test]
async fn a_member_creates_and_reads_a_task_in_the_contract_shape() {
    let s = setup().await;
    let due = hours_from_now(48);
    let body = json!({"event": s.event, "title": "Book the venue", "priority": "high", "due_date": due,
        "assignee_id": s.carol.id, "status": "done", "id": 999, "created_by": s.org.id, "completed_at": due});
    let task = create(&s, &s.bob, body).await;
    assert_eq!(
        keys(&task),
        [
            "assignee",
            "completed_at",
            "created_at",
            "created_by",
            "description",
            "due_date",
            "event",
            "id",
            "priority",
            "status",
            "title",
            "updated_at"
        ]
    );
    assert_ne!(task["id"], 999);
    assert_eq!(task["event"], s.event);
    assert_eq!(
        (task["status"].as_str(), task["priority"].as_str()),
        (Some("todo"), Some("high"))
    );
    assert_eq!(task["description"], "");
    assert_eq!(task["completed_at"], Value::Null);
    assert_eq!(
        keys(&task["assignee"]),
        ["first_name", "id", "last_name", "username"]
    );
    assert_eq!(task["assignee"]["id"], s.carol.id);
    assert_eq!(task["created_by"]["username"], "bob");
    let due_out = task["due_date"].as_str().unwrap();
    assert!(due_out.ends_with('Z'), "UTC output: {due_out}");

    let read = expect_status(
        s.app.get(&path(&task), Some(&s.org.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(read, task);
    let no_slash = path(&task).trim_end_matches('/').to_owned();
    expect_status(
        s.app.get(&no_slash, Some(&s.carol.access)).await,
        StatusCode::OK,
    )
    .await;
}

#[tokio::test]
async fn bad_bodies_are_validation_errors_per_field() {
    let s = setup().await;
    let response = s
        .app
        .post("/api/v1/tasks/", &json!({}), Some(&s.bob.access))
        .await;
    let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        body["details"],
        json!({"event": ["This field is required."], "title": ["This field is required."]})
    );

    let bad = json!({"event": s.event, "title": " ", "priority": "asap", "assignee_id": s.out.id});
    let body = expect_error(
        s.app
            .post("/api/v1/tasks/", &bad, Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(keys(&body["details"]), ["assignee_id", "priority", "title"]);
    assert_eq!(
        body["details"]["title"],
        json!(["This field may not be blank."])
    );

    let null_title = json!({"event": s.event, "title": null});
    let body = expect_error(
        s.app
            .post("/api/v1/tasks/", &null_title, Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(
        body["details"]["title"],
        json!(["This field may not be null."])
    );
    let bad_date = json!({"event": s.event, "title": "x", "due_date": "tomorrow"});
    let body = expect_error(
        s.app
            .post("/api/v1/tasks/", &bad_date, Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert!(body["details"]["due_date"].is_array(), "{body}");
    let missing = json!({"event": 987_654, "title": "x"});
    let body = expect_error(
        s.app
            .post("/api/v1/tasks/", &missing, Some(&s.bob.access))
            .await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    assert_eq!(body["details"]["event"], json!(["Invalid event."]));

    let raw = s
        .app
        .client
        .post(s.app.url("/api/v1/tasks/"))
        .bearer_auth(&s.bob.access)
        .header("content-type", "application/json")
        .body("{\"title\": ")
        .send()
        .await
        .unwrap();
    expect_error(raw, StatusCode::BAD_REQUEST, "invalid_json").await;
    let text = s
        .app
        .client
        .post(s.app.url("/api/v1/tasks/"))
        .bearer_auth(&s.bob.access)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    expect_error(
        text,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;
}
