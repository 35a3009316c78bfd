//! Votes, results, voters and visibility.

use super::*;

#[tokio::test]
async fn voting_returns_results_201_then_200() {
    let s = setup().await;
    let vote = path(&s.poll, "vote/");
    let first = s
        .app
        .post(
            &vote,
            &json!({"option_id": option(&s.poll, 0)}),
            Some(&s.bob.access),
        )
        .await;
    let results = expect_status(first, StatusCode::CREATED).await;
    assert_eq!(
        keys(&results),
        [
            "ends_at",
            "is_open",
            "options",
            "poll",
            "title",
            "total_voters",
            "total_votes",
            "voters",
            "winners"
        ]
    );
    assert_eq!(results["poll"], s.poll["id"]);
    assert_eq!(
        keys(&results["options"][0]),
        ["id", "percentage", "text", "votes"]
    );
    assert_eq!(results["options"][0]["percentage"], 100.0);
    assert_eq!(results["winners"], json!([option(&s.poll, 0)]));
    let first_option = option(&s.poll, 0).to_string();
    assert_eq!(results["voters"][&first_option][0]["username"], "bob");
    assert_eq!(results["voters"][option(&s.poll, 1).to_string()], json!([]));

    let changed = s
        .app
        .post(
            &vote,
            &json!({"option_ids": [option(&s.poll, 2)]}),
            Some(&s.bob.access),
        )
        .await;
    let results = expect_status(changed, StatusCode::OK).await;
    assert_eq!(
        (
            results["total_votes"].as_i64(),
            results["total_voters"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(results["options"][2]["votes"], 1);
    let poll = expect_status(
        s.app.get(&path(&s.poll, ""), Some(&s.bob.access)).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(poll["my_votes"], json!([option(&s.poll, 2)]));
    assert_eq!(poll["options"][2]["vote_count"], 1);
}

#[tokio::test]
async fn bad_ballots_are_400() {
    let s = setup().await;
    let vote = path(&s.poll, "vote/");
    let (a, b) = (option(&s.poll, 0), option(&s.poll, 1));
    let two = s
        .app
        .post(&vote, &json!({"option_ids": [a, b]}), Some(&s.bob.access))
        .await;
    let error = expect_error(two, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(
        error["details"]["option_ids"],
        json!(["This poll takes exactly one option."])
    );
    let both = s
        .app
        .post(
            &vote,
            &json!({"option_id": a, "option_ids": [a]}),
            Some(&s.bob.access),
        )
        .await;
    let error = expect_error(both, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(keys(&error["details"]), ["non_field_errors"]);
    expect_error(
        s.app.post(&vote, &json!({}), Some(&s.bob.access)).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    let other = create(
        &s.app,
        &s.org,
        json!({"event": s.event, "title": "Other", "options": options(&["x", "y"])}),
    )
    .await;
    let foreign = s
        .app
        .post(
            &vote,
            &json!({"option_id": option(&other, 0)}),
            Some(&s.bob.access),
        )
        .await;
    let error = expect_error(foreign, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(keys(&error["details"]), ["option_id"]);
    let typed = s
        .app
        .post(&vote, &json!({"option_id": "first"}), Some(&s.bob.access))
        .await;
    expect_error(typed, StatusCode::BAD_REQUEST, "validation_error").await;
    let poll = expect_status(s.app.get(&path(&s.poll, ""), None).await, StatusCode::OK).await;
    assert_eq!(poll["total_voters"], 0);
}

#[tokio::test]
async fn visibility_and_who_may_vote() {
    let s = setup().await;
    let vote = path(&s.poll, "vote/");
    let ballot = json!({"option_id": option(&s.poll, 0)});
    expect_error(
        s.app.post(&vote, &ballot, Some(&s.out.access)).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    )
    .await;
    expect_error(
        s.app.post(&vote, &ballot, None).await,
        StatusCode::UNAUTHORIZED,
        "unauthorized",
    )
    .await;
    expect_status(
        s.app.post(&vote, &ballot, Some(&s.bob.access)).await,
        StatusCode::CREATED,
    )
    .await;
    // Anonymous callers and outsiders see the public poll and its counts, not who voted.
    for token in [None, Some(s.out.access.as_str())] {
        let results = expect_status(
            s.app.get(&path(&s.poll, "results/"), token).await,
            StatusCode::OK,
        )
        .await;
        assert!(results.get("voters").is_none(), "{results}");
        assert_eq!(results["total_votes"], 1);
    }
    let anonymous = expect_status(s.app.get(&path(&s.poll, ""), None).await, StatusCode::OK).await;
    assert_eq!(anonymous["my_votes"], json!([]));
    let listed = expect_status(
        s.app
            .get("/api/v1/voting/?is_open=true&ordering=title", None)
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(listed["count"], 1);

    let private = s
        .app
        .create_event(&s.org, json!({"visibility": "private"}))
        .await["id"]
        .as_i64()
        .unwrap();
    let secret = create(
        &s.app,
        &s.org,
        json!({"event": private, "title": "S", "options": options(&["a", "b"])}),
    )
    .await;
    for token in [None, Some(s.out.access.as_str())] {
        expect_error(
            s.app.get(&path(&secret, ""), token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
        expect_error(
            s.app.get(&path(&secret, "results/"), token).await,
            StatusCode::NOT_FOUND,
            "not_found",
        )
        .await;
    }
    let hidden_vote = s
        .app
        .post(
            &path(&secret, "vote/"),
            &json!({"option_id": option(&secret, 0)}),
            Some(&s.out.access),
        )
        .await;
    expect_error(hidden_vote, StatusCode::NOT_FOUND, "not_found").await;
    let listed = expect_status(s.app.get("/api/v1/voting/", None).await, StatusCode::OK).await;
    assert_eq!(listed["count"], 1, "the private poll is not listed");
    let bad = s
        .app
        .get("/api/v1/voting/?is_open=maybe&ordering=votes", None)
        .await;
    let error = expect_error(bad, StatusCode::BAD_REQUEST, "validation_error").await;
    assert_eq!(keys(&error["details"]), ["is_open", "ordering"]);
}

#[tokio::test]
async fn anonymous_polls_hide_voters_from_everyone() {
    let s = setup().await;
    let body = json!({"event": s.event, "title": "Secret", "anonymous": true, "options": options(&["a", "b"])});
    let poll = create(&s.app, &s.org, body).await;
    let results = s
        .app
        .post(
            &path(&poll, "vote/"),
            &json!({"option_id": option(&poll, 1)}),
            Some(&s.bob.access),
        )
        .await;
    let results = expect_status(results, StatusCode::CREATED).await;
    assert!(results.get("voters").is_none(), "{results}");
    let as_org = expect_status(
        s.app
            .get(&path(&poll, "results/"), Some(&s.org.access))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(as_org.get("voters").is_none());
    assert_eq!(as_org["winners"], json!([option(&poll, 1)]));
}
