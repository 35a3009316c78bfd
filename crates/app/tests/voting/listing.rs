//! Listing polls: visibility, filters, orderings and bad parameters.

use chrono::Duration;
use gatherhub_app::voting::{PollInput, PollListInput};
use gatherhub_domain::EventId;
use gatherhub_domain::event::Visibility;

use crate::polls::{cast, poll};
use crate::world::*;

#[tokio::test]
async fn the_list_shows_polls_of_visible_events() {
    let c = cast(Visibility::Private, false, false).await;
    let w = &c.w;
    let public = w.public_event(&c.org).await;
    w.clock.advance(Duration::seconds(1));
    let ends = w.now() + Duration::hours(1);
    let body = PollInput {
        ends_at: Some(Some(ends)),
        ..poll(public, "Alpha", &["a", "b"])
    };
    w.app.voting.create(&c.org, body).await.unwrap();
    w.clock.advance(Duration::seconds(1));
    let closed = w
        .app
        .voting
        .create(&c.org, poll(public, "Beta", &["a", "b"]))
        .await
        .unwrap();
    w.app.voting.close(&c.org, closed.poll.id).await.unwrap();

    let titles = |page: gatherhub_domain::Page<gatherhub_ports::PollView>| {
        page.items
            .into_iter()
            .map(|v| v.poll.title)
            .collect::<Vec<_>>()
    };
    let q = |event: Option<EventId>, is_open: Option<&str>, ordering: Option<&str>| PollListInput {
        event: event.map(|e| e.get().to_string()),
        is_open: is_open.map(str::to_owned),
        ordering: ordering.map(str::to_owned),
        ..PollListInput::default()
    };
    assert_eq!(
        titles(w.app.voting.list(None, q(None, None, None)).await.unwrap()),
        ["Beta", "Alpha"]
    );
    let member = w
        .app
        .voting
        .list(Some(&c.voter), q(None, None, Some("title")))
        .await
        .unwrap();
    assert_eq!(titles(member), ["Alpha", "Beta", "Venue"]);
    let open = w
        .app
        .voting
        .list(Some(&c.voter), q(None, Some("true"), Some("-title")))
        .await
        .unwrap();
    assert_eq!(titles(open), ["Venue", "Alpha"]);
    let shut = w
        .app
        .voting
        .list(Some(&c.voter), q(Some(public), Some("false"), None))
        .await
        .unwrap();
    assert_eq!(titles(shut), ["Beta"]);
    w.clock.advance(Duration::hours(2));
    let ended = w
        .app
        .voting
        .list(None, q(None, Some("0"), Some("ends_at")))
        .await
        .unwrap();
    assert_eq!(
        titles(ended),
        ["Alpha", "Beta"],
        "polls without an end sort last"
    );
    let bad = q(Some(public), Some("perhaps"), Some("votes"));
    let bad = PollListInput {
        event: Some("-1".into()),
        ..bad
    };
    assert_eq!(
        field_names(w.app.voting.list(None, bad).await),
        ["event", "is_open", "ordering"]
    );
}
