//! Assigning, claiming, completing, and the task list.

use super::*;

#[tokio::test]
async fn assigning_claiming_and_completing() {
    let s = setup().await;
    let task = create(&s, &s.org, json!({"event": s.event, "title": "x"})).await;
    let assign = format!("{}assign/", path(&task));
    let claimed = expect_status(
        s.app.post(&assign, &json!({}), Some(&s.bob.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(claimed["assignee"]["id"], s.bob.id);
    let taken = s
        .app
        .post(
            &assign,
            &json!({"assignee_id": s.carol.id}),
            Some(&s.carol.access),
        )
        .await;
    expect_error(taken, StatusCode::CONFLICT, "conflict").await;
    let unassigned = expect_status(
        s.app
            .post(&assign, &json!({"assignee_id": null}), Some(&s.org.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(unassigned["assignee"], Value::Null);
    let mine = s
        .app
        .post(
            &assign,
            &json!({"assignee_id": s.carol.id}),
            Some(&s.carol.access),
        )
        .await;
    assert_eq!(
        expect_status(mine, StatusCode::OK).await["assignee"]["id"],
        s.carol.id
    );
    let outsider = s
        .app
        .post(
            &assign,
            &json!({"assignee_id": s.out.id}),
            Some(&s.org.access),
        )
        .await;
    let error = expect_error(outsider, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        error["details"]["assignee_id"],
        json!(["The assignee must be a going member of the event."])
    );

    let complete = format!("{}complete/", path(&task));
    expect_error(
        s.app.post(&complete, &json!({}), Some(&s.bob.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    let first = expect_status(
        s.app
            .post(&complete, &json!({}), Some(&s.carol.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(first["status"], "done");
    let bare = s
        .app
        .client
        .post(s.app.url(&complete))
        .bearer_auth(&s.org.access)
        .send()
        .await
        .unwrap();
    let second = expect_status(bare, StatusCode::OK).await;
    assert_eq!(
        second["completed_at"], first["completed_at"],
        "completing again changes nothing"
    );
}

#[tokio::test]
async fn the_list_filters_orders_and_pages() {
    let s = setup().await;
    for (title, priority, assignee) in [
        ("a", "low", Some(s.bob.id)),
        ("b", "urgent", None),
        ("c", "high", Some(s.bob.id)),
    ] {
        create(&s, &s.org, json!({"event": s.event, "title": title, "priority": priority, "assignee_id": assignee})).await;
    }
    let titles = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["title"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = |query: &'static str, user: &TestUser| {
        let token = user.access.clone();
        let app = &s.app;
        async move {
            expect_status(
                app.get(&format!("/api/v1/tasks/{query}"), Some(&token))
                    .await,
                StatusCode::OK,
            )
            .await
        }
    };
    let all = get("", &s.org).await;
    assert_eq!(
        (all["count"].as_i64(), titles(&all)),
        (Some(3), vec!["c".into(), "b".into(), "a".into()])
    );
    assert_eq!(
        titles(&get("?ordering=-priority", &s.org).await),
        ["b", "c", "a"]
    );
    assert_eq!(
        titles(&get("?assignee=me&ordering=created_at", &s.bob).await),
        ["a", "c"]
    );
    assert_eq!(
        titles(&get("?priority=urgent&status=todo", &s.carol).await),
        ["b"]
    );
    assert_eq!(get("", &s.out).await["count"], 0);
    let page = get("?page=2&page_size=2", &s.org).await;
    assert_eq!(
        (titles(&page), page["next"].clone()),
        (vec!["a".to_owned()], Value::Null)
    );
    assert!(page["previous"].as_str().unwrap().contains("page=1"));
    let bad = s
        .app
        .get(
            "/api/v1/tasks/?status=finished&assignee=you&ordering=title&due_before=soon",
            Some(&s.org.access),
        )
        .await;
    let error = expect_error(bad, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        keys(&error["details"]),
        ["assignee", "due_before", "ordering", "status"]
    );
    let bad_page = s
        .app
        .get("/api/v1/tasks/?page=0", Some(&s.org.access))
        .await;
    expect_error(bad_page, StatusCode::BAD_REQUEST, "validation_error").await;
}

#[tokio::test]
async fn racing_claims_of_one_task_have_one_winner() {
    let s = setup().await;
    for _ in 0..3 {
        let task = create(
            &s,
            &s.org,
            json!({"event": s.event, "title": "Bring chairs"}),
        )
        .await;
        let assign = format!("{}assign/", path(&task));
        let claim = json!({});
        let (bob, carol) = tokio::join!(
            s.app.post(&assign, &claim, Some(&s.bob.access)),
            s.app.post(&assign, &claim, Some(&s.carol.access)),
        );
        let mut statuses = [bob.status(), carol.status()];
        statuses.sort();
        assert_eq!(statuses, [StatusCode::OK, StatusCode::CONFLICT]);
        let loser = if bob.status() == StatusCode::CONFLICT {
            bob
        } else {
            carol
        };
        expect_error(loser, StatusCode::CONFLICT, "conflict").await;
        let stored = expect_status(
            s.app.get(&path(&task), Some(&s.org.access)).await,
            StatusCode::OK,
        )
        .await;
        assert!([s.bob.id, s.carol.id].contains(&stored["assignee"]["id"].as_i64().unwrap()));
    }
}
