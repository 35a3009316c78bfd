//! `GET /events/`: visibility, filters, ordering and pagination.

use futures_util::future::join_all;
use gatherhub_e2e::{TestApp, TestUser, expect_error, expect_status, hours_from_now};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::join;

async fn list(app: &TestApp, query: &str, user: Option<&TestUser>) -> Value {
    let response = app
        .get(
            &format!("/api/v1/events/{query}"),
            user.map(|u| u.access.as_str()),
        )
        .await;
    expect_status(response, StatusCode::OK).await
}

fn titles(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["title"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn callers_see_public_events_and_their_own_private_ones() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.create_event(&alice, json!({"title": "Alpha"})).await;
    app.create_event(&alice, json!({"title": "Bravo", "visibility": "private"}))
        .await;
    let charlie = app
        .create_event(
            &bob,
            json!({"title": "Charlie", "location": "Harbour", "date": hours_from_now(48)}),
        )
        .await;
    assert_eq!(titles(&list(&app, "", None).await), ["Charlie", "Alpha"]);
    assert_eq!(
        titles(&list(&app, "", Some(&bob)).await),
        ["Charlie", "Alpha"]
    );
    assert_eq!(
        titles(&list(&app, "", Some(&alice)).await),
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        titles(&list(&app, "?visibility=private", Some(&bob)).await),
        Vec::<String>::new()
    );
    assert_eq!(
        titles(&list(&app, "?visibility=private", Some(&alice)).await),
        ["Bravo"]
    );
    join(&app, &charlie, &alice).await;
    let page = list(&app, "?joined=true", Some(&alice)).await;
    assert_eq!(titles(&page), ["Charlie", "Bravo", "Alpha"]);
    assert_eq!(page["results"][0]["membership"]["role"], "member");
    assert_eq!(
        titles(&list(&app, "?joined=true", Some(&bob)).await),
        ["Charlie"]
    );
    let anonymous = list(&app, "?joined=true", None).await;
    assert_eq!(
        (
            anonymous["count"].as_u64(),
            anonymous["results"].as_array().map(Vec::len)
        ),
        (Some(0), Some(0))
    );
}

#[tokio::test]
async fn filters_and_orderings() {
    let app = TestApp::spawn().await;
    let (alice, bob) = (app.register("alice").await, app.register("bob").await);
    app.create_event(
        &alice,
        json!({"title": "Alpha", "date": hours_from_now(24)}),
    )
    .await;
    let bravo = app
        .create_event(
            &alice,
            json!({"title": "Bravo", "description": "Board GAMES", "date": hours_from_now(72)}),
        )
        .await;
    app.create_event(
        &bob,
        json!({"title": "Charlie", "location": "Harbour", "date": hours_from_now(48)}),
    )
    .await;
    assert_eq!(titles(&list(&app, "?search=games", None).await), ["Bravo"]);
    assert_eq!(titles(&list(&app, "?search=HARB", None).await), ["Charlie"]);
    assert_eq!(titles(&list(&app, "?search=alp", None).await), ["Alpha"]);
    assert_eq!(
        titles(&list(&app, &format!("?organizer={}", bob.id), None).await),
        ["Charlie"]
    );
    assert_eq!(
        titles(&list(&app, "?ordering=date", None).await),
        ["Alpha", "Charlie", "Bravo"]
    );
    assert_eq!(
        titles(&list(&app, "?ordering=-date", None).await),
        ["Bravo", "Charlie", "Alpha"]
    );
    assert_eq!(
        titles(&list(&app, "?ordering=title", None).await),
        ["Alpha", "Bravo", "Charlie"]
    );
    assert_eq!(
        titles(&list(&app, "?ordering=-title", None).await),
        ["Charlie", "Bravo", "Alpha"]
    );
    assert_eq!(
        titles(&list(&app, "?ordering=created_at", None).await),
        ["Alpha", "Bravo", "Charlie"]
    );
    assert_eq!(
        titles(&list(&app, "?ordering=-created_at", None).await),
        ["Charlie", "Bravo", "Alpha"]
    );
    // Any offset, with `+` encoded or not.
    let from = (chrono::Utc::now() + chrono::Duration::hours(36))
        .with_timezone(&chrono::FixedOffset::east_opt(2 * 3600).unwrap())
        .to_rfc3339();
    let encoded = from.replace('+', "%2B");
    assert_eq!(
        titles(&list(&app, &format!("?date_from={encoded}&ordering=date"), None).await),
        ["Charlie", "Bravo"]
    );
    assert_eq!(
        titles(&list(&app, &format!("?date_from={from}&ordering=date"), None).await),
        ["Charlie", "Bravo"]
    );
    let to = hours_from_now(60).replace('+', "%2B");
    assert_eq!(
        titles(&list(&app, &format!("?date_to={to}&ordering=date"), None).await),
        ["Alpha", "Charlie"]
    );
    let cancel = app
        .patch(
            &format!("/api/v1/events/{}/", bravo["id"]),
            &json!({"status": "cancelled"}),
            Some(&alice.access),
        )
        .await;
    expect_status(cancel, StatusCode::OK).await;
    assert_eq!(
        titles(&list(&app, "?status=cancelled", None).await),
        ["Bravo"]
    );
    assert_eq!(
        titles(&list(&app, "?status=upcoming&ordering=title", None).await),
        ["Alpha", "Charlie"]
    );
    assert_eq!(
        titles(&list(&app, "?status=completed", None).await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn bad_filters_are_validation_errors() {
    let app = TestApp::spawn().await;
    let query = "?status=soon&visibility=hidden&organizer=bob&joined=maybe&date_from=tomorrow&date_to=x&ordering=location";
    let body = expect_error(
        app.get(&format!("/api/v1/events/{query}"), None).await,
        StatusCode::BAD_REQUEST,
        "validation_error",
    )
    .await;
    let mut fields: Vec<&str> = body["details"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "date_from",
            "date_to",
            "joined",
            "ordering",
            "organizer",
            "status",
            "visibility"
        ]
    );
}

#[tokio::test]
async fn pagination_links_counts_and_bounds() {
    let app = TestApp::spawn().await;
    let alice = app.register("alice").await;
    let creations =
        (0..105).map(|i| app.create_event(&alice, json!({"title": format!("E{i:03}")})));
    join_all(creations).await;

    let first = list(&app, "?ordering=title&search=E", None).await;
    assert_eq!(first["count"], 105);
    assert_eq!(
        first["results"].as_array().unwrap().len(),
        20,
        "default page size"
    );
    assert_eq!(first["previous"], Value::Null);
    let next = first["next"].as_str().unwrap();
    assert!(
        next.starts_with(&format!("{}/api/v1/events/?", app.address)),
        "absolute: {next}"
    );
    assert!(
        next.contains("ordering=title") && next.contains("search=E") && next.contains("page=2"),
        "{next}"
    );
    let second = expect_status(app.client.get(next).send().await.unwrap(), StatusCode::OK).await;
    assert_eq!(second["results"][0]["title"], "E020");
    let previous = second["previous"].as_str().unwrap();
    assert!(
        previous.starts_with(&app.address) && previous.contains("page=1"),
        "{previous}"
    );

    let last = list(&app, "?ordering=title&page=6", None).await;
    assert_eq!(titles(&last), ["E100", "E101", "E102", "E103", "E104"]);
    assert_eq!(last["next"], Value::Null);
    let past = list(&app, "?page=7", None).await;
    assert_eq!(
        (
            past["count"].as_u64(),
            past["results"].as_array().map(Vec::len)
        ),
        (Some(105), Some(0))
    );

    let clamped = list(&app, "?page_size=1000", None).await;
    assert_eq!(clamped["results"].as_array().unwrap().len(), 100);
    assert!(clamped["next"].as_str().unwrap().contains("page=2"));
    let small = list(&app, "?page_size=50&page=3", None).await;
    assert_eq!(small["results"].as_array().unwrap().len(), 5);

    for query in [
        "?page=0",
        "?page=-1",
        "?page=abc",
        "?page_size=0",
        "?page_size=x",
    ] {
        let response = app.get(&format!("/api/v1/events/{query}"), None).await;
        let body = expect_error(response, StatusCode::BAD_REQUEST, "validation_error").await;
        let field = if query.contains("page_size") {
            "page_size"
        } else {
            "page"
        };
        assert!(body["details"][field].is_array(), "{query}: {body}");
    }
}
