//! `gatherhub seed` creates the documented sample data through the use cases,
//! and refuses to run twice.

#![allow(clippy::unwrap_used, reason = "test code")]

use gatherhub_app::events::EventListInput;
use gatherhub_server::Settings;
use gatherhub_server::config::DatabaseUrl;
use gatherhub_server::seed::{SeedError, seed};
use gatherhub_server::store::Store;

#[tokio::test]
async fn seeds_users_events_waitlists_tasks_and_polls_once() {
    let settings = Settings {
        database_url: DatabaseUrl::Memory,
        ..Settings::default()
    };
    let store = Store::open(&settings).await.unwrap();
    let app = gatherhub_server::startup::build_app(&settings, &store).unwrap();
    let mut lines = Vec::new();
    let report = seed(&app, |line| lines.push(line.to_owned()))
        .await
        .unwrap();
    assert_eq!(
        (report.users, report.events, report.tasks, report.polls),
        (6, 3, 3, 2)
    );
    assert_eq!(lines.len(), 5, "{lines:?}");

    let events = app
        .events
        .list(None, EventListInput::default())
        .await
        .unwrap();
    assert_eq!(
        events.total, 2,
        "the private event is not listed for anonymous callers"
    );
    let meetup = events
        .items
        .iter()
        .find(|e| e.event.title == "Community Meetup")
        .unwrap();
    assert_eq!((meetup.going, meetup.waitlisted), (4, 2));

    assert!(matches!(
        seed(&app, |_| {}).await,
        Err(SeedError::AlreadySeeded)
    ));
}
