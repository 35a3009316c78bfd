//! One user racing against themselves.

use super::*;

/// One user sends 20 ballots at once: exactly one is their first vote, and
/// they count once. Three rounds, on fresh polls.
#[tokio::test]
async fn twenty_concurrent_votes_by_one_user_count_once() {
    let s = setup().await;
    for round in 0..3 {
        let body = json!({"event": s.event, "title": format!("Race {round}"), "multiple_choice": round == 1,
            "options": options(&["a", "b", "c"])});
        let poll = create(&s.app, &s.org, body).await;
        let vote = path(&poll, "vote/");
        let requests = (0..20).map(|i| {
            let ballot = json!({"option_id": option(&poll, i % 3)});
            let (app, vote, token) = (&s.app, vote.clone(), s.bob.access.clone());
            async move { app.post(&vote, &ballot, Some(&token)).await.status() }
        });
        let statuses = join_all(requests).await;
        let created = statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count();
        let changed = statuses.iter().filter(|s| **s == StatusCode::OK).count();
        assert_eq!((created, changed), (1, 19), "round {round}: {statuses:?}");
        let results = expect_status(
            s.app
                .get(&path(&poll, "results/"), Some(&s.org.access))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            (
                results["total_votes"].as_i64(),
                results["total_voters"].as_i64()
            ),
            (Some(1), Some(1)),
            "round {round}"
        );
        let voters: usize = results["voters"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_array().unwrap().len())
            .sum();
        assert_eq!(voters, 1);
    }
}
