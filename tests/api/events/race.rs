//! Concurrent joins never overfill an event nor duplicate a member, and the
//! waitlist positions stay 1..n.

use futures_util::future::join_all;
use gatherhub_e2e::{TestApp, expect_status};
use reqwest::StatusCode;
use serde_json::json;

use super::path;

#[tokio::test]
async fn fifty_concurrent_joins_fill_ten_places_and_queue_the_rest() {
    let app = TestApp::spawn().await;
    let app = &app;
    let users =
        join_all((0..50).map(|i| async move { app.register(&format!("racer{i:02}")).await })).await;
    let organizer = &users[0];
    for round in 0..3 {
        let event = app
            .create_event(
                organizer,
                json!({"title": format!("Race {round}"), "max_participants": 10}),
            )
            .await;
        // Everyone, the organizer included, joins at once.
        let join_path = path(&event, "join/");
        let empty = json!({});
        let responses = join_all(
            users
                .iter()
                .map(|u| app.post(&join_path, &empty, Some(&u.access))),
        )
        .await;
        let mut created = 0;
        for response in responses {
            match response.status() {
                StatusCode::CREATED => created += 1,
                StatusCode::OK => {}
                other => panic!("round {round}: unexpected status {other}"),
            }
        }
        assert_eq!(
            created, 49,
            "round {round}: everyone but the organizer is new"
        );

        let response = app
            .get(
                &path(&event, "members/?page_size=100"),
                Some(&organizer.access),
            )
            .await;
        let page = expect_status(response, StatusCode::OK).await;
        assert_eq!(page["count"], 50, "round {round}");
        let members = page["results"].as_array().unwrap();
        let going: Vec<_> = members.iter().filter(|m| m["status"] == "going").collect();
        let waiting: Vec<_> = members
            .iter()
            .filter(|m| m["status"] == "waitlisted")
            .collect();
        assert_eq!((going.len(), waiting.len()), (10, 40), "round {round}");
        assert_eq!(going[0]["user"]["id"], organizer.id);
        assert!(going.iter().all(|m| m["waitlist_position"].is_null()));
        let positions: Vec<u64> = waiting
            .iter()
            .map(|m| m["waitlist_position"].as_u64().unwrap())
            .collect();
        assert_eq!(positions, (1..=40).collect::<Vec<_>>(), "round {round}");
        let mut ids: Vec<i64> = members
            .iter()
            .map(|m| m["user"]["id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 50, "round {round}: nobody is a member twice");

        let response = app.get(&path(&event, ""), None).await;
        let seen = expect_status(response, StatusCode::OK).await;
        assert_eq!(
            (
                seen["participant_count"].as_u64(),
                seen["waitlist_count"].as_u64()
            ),
            (Some(10), Some(40))
        );
    }
}
