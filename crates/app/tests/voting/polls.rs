//! Creating, reading, listing, changing, closing and deleting polls.

use chrono::Duration;
use gatherhub_app::voting::PollInput;
use gatherhub_app::{Actor, ConflictCode};
use gatherhub_domain::event::Visibility;
use gatherhub_domain::{EventId, PollId};

use crate::world::*;

pub fn poll(event: EventId, title: &str, options: &[&str]) -> PollInput {
    PollInput {
        event: Some(event.get()),
        title: Some(title.to_owned()),
        options: Some(options.iter().map(|o| (*o).to_owned()).collect()),
        ..PollInput::default()
    }
}

/// An event with an organizer, a poll creator, a voter, a waitlisted user,
/// an outsider and staff, and one single-choice poll by `creator`.
pub struct Cast {
    pub w: World,
    pub org: Actor,
    pub creator: Actor,
    pub voter: Actor,
    pub waiting: Actor,
    pub outsider: Actor,
    pub staff: Actor,
    pub event: EventId,
    pub poll: PollId,
}

pub async fn cast(visibility: Visibility, anonymous: bool, multiple_choice: bool) -> Cast {
    let w = World::new();
    let org = w.user("org").await;
    let creator = w.user("creator").await;
    let voter = w.user("voter").await;
    let waiting = w.user("waiting").await;
    let outsider = w.user("outsider").await;
    let staff = w.staff("staff").await;
    let event = w.event(&org, visibility, Some(3)).await;
    w.join(event, &creator).await;
    w.join(event, &voter).await;
    w.join(event, &waiting).await;
    let body = PollInput {
        anonymous: Some(anonymous),
        multiple_choice: Some(multiple_choice),
        ..poll(event, "Venue", &["Hall", "Park", "Pub"])
    };
    let poll = w.app.voting.create(&creator, body).await.unwrap().poll.id;
    Cast {
        w,
        org,
        creator,
        voter,
        waiting,
        outsider,
        staff,
        event,
        poll,
    }
}

#[tokio::test]
async fn a_going_member_creates_a_poll() {
    let w = World::new();
    let org = w.user("org").await;
    let event = w.public_event(&org).await;
    let ends = w.now() + Duration::days(1);
    let body = PollInput {
        description: Some("Where?".into()),
        ends_at: Some(Some(ends)),
        multiple_choice: Some(true),
        ..poll(event, " Venue ", &["Hall", " Park "])
    };
    let view = w.app.voting.create(&org, body).await.unwrap();
    assert_eq!(view.poll.title, "Venue");
    assert_eq!(view.poll.description, "Where?");
    assert_eq!(view.poll.ends_at, Some(ends));
    assert!(view.poll.multiple_choice && !view.poll.anonymous && !view.poll.closed);
    let texts: Vec<_> = view
        .options
        .iter()
        .map(|(o, n)| (o.text.as_str(), *n))
        .collect();
    assert_eq!(texts, [("Hall", 0), ("Park", 0)]);
    assert_eq!(view.created_by.username, "org");
    assert!(view.my_votes.is_empty());
    assert!(w.app.voting.is_open(&view));
}

#[tokio::test]
async fn create_reports_every_bad_field() {
    let w = World::new();
    let org = w.user("org").await;
    let errors = fields(w.app.voting.create(&org, PollInput::default()).await);
    assert_eq!(
        errors.keys().collect::<Vec<_>>(),
        ["event", "options", "title"]
    );
    assert!(
        errors
            .values()
            .all(|m| m == &vec!["This field is required.".to_owned()])
    );
    let event = w.public_event(&org).await;
    let body = PollInput {
        description: Some("d".repeat(10_001)),
        ends_at: Some(Some(w.now() - Duration::seconds(1))),
        ..poll(event, "", &["only one"])
    };
    let names = field_names(w.app.voting.create(&org, body).await);
    assert_eq!(names, ["description", "ends_at", "options", "title"]);
    let same = fields(
        w.app
            .voting
            .create(&org, poll(event, "x", &["A", "a"]))
            .await,
    );
    assert_eq!(same["options"], vec!["Options must be distinct."]);
    let blank = field_names(
        w.app
            .voting
            .create(&org, poll(event, "x", &["A", " "]))
            .await,
    );
    assert_eq!(blank, ["options"]);
    let many: Vec<String> = (0..21).map(|i| i.to_string()).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert_eq!(
        field_names(w.app.voting.create(&org, poll(event, "x", &many)).await),
        ["options"]
    );
    assert!(
        w.app
            .voting
            .create(&org, poll(event, "x", &many[..20]))
            .await
            .is_ok()
    );
    let now = PollInput {
        ends_at: Some(Some(w.now())),
        ..poll(event, "x", &["a", "b"])
    };
    assert_eq!(
        field_names(w.app.voting.create(&org, now).await),
        ["ends_at"]
    );
}

#[tokio::test]
async fn create_needs_a_visible_event_and_a_going_membership() {
    let c = cast(Visibility::Public, false, false).await;
    let private = c.w.event(&c.org, Visibility::Private, None).await;
    let errors = fields(
        c.w.app
            .voting
            .create(&c.outsider, poll(private, "x", &["a", "b"]))
            .await,
    );
    assert_eq!(errors["event"], vec!["Invalid event."]);
    let missing = PollInput {
        event: Some(987_654),
        ..poll(c.event, "x", &["a", "b"])
    };
    assert_eq!(
        field_names(c.w.app.voting.create(&c.org, missing).await),
        ["event"]
    );
    assert_forbidden(
        c.w.app
            .voting
            .create(&c.outsider, poll(c.event, "x", &["a", "b"]))
            .await,
    );
    assert_forbidden(
        c.w.app
            .voting
            .create(&c.waiting, poll(c.event, "x", &["a", "b"]))
            .await,
    );
}

#[tokio::test]
async fn polls_are_seen_by_whoever_sees_the_event() {
    let public = cast(Visibility::Public, false, false).await;
    assert_eq!(
        public
            .w
            .app
            .voting
            .get(None, public.poll)
            .await
            .unwrap()
            .poll
            .id,
        public.poll
    );
    assert!(
        public
            .w
            .app
            .voting
            .get(Some(&public.outsider), public.poll)
            .await
            .is_ok()
    );

    let c = cast(Visibility::Private, false, false).await;
    assert_not_found(c.w.app.voting.get(None, c.poll).await, "Poll");
    assert_not_found(c.w.app.voting.get(Some(&c.outsider), c.poll).await, "Poll");
    assert_not_found(c.w.app.voting.results(None, c.poll).await, "Poll");
    assert_not_found(c.w.app.voting.close(&c.outsider, c.poll).await, "Poll");
    for who in [&c.waiting, &c.voter, &c.staff] {
        assert!(c.w.app.voting.get(Some(who), c.poll).await.is_ok());
    }
    assert_not_found(c.w.app.voting.get(None, PollId(987_654)).await, "Poll");
}

#[tokio::test]
async fn the_creator_organizer_and_staff_change_title_description_and_end() {
    let c = cast(Visibility::Public, false, false).await;
    let ends = c.w.now() + Duration::days(3);
    for (who, title) in [(&c.creator, "one"), (&c.org, "two"), (&c.staff, "three")] {
        let body = PollInput {
            title: Some(title.into()),
            description: Some("new".into()),
            ends_at: Some(Some(ends)),
            event: Some(987_654),
            multiple_choice: Some(true),
            anonymous: Some(true),
            ..PollInput::default()
        };
        let view =
            c.w.app
                .voting
                .update(who, c.poll, body, true)
                .await
                .unwrap();
        assert_eq!(
            (view.poll.title.as_str(), view.poll.description.as_str()),
            (title, "new")
        );
        assert_eq!(view.poll.ends_at, Some(ends));
        assert_eq!(view.poll.event_id, c.event);
        assert!(
            !view.poll.multiple_choice && !view.poll.anonymous,
            "read-only on update"
        );
    }
    let patch = PollInput {
        title: Some("nope".into()),
        ..PollInput::default()
    };
    assert_forbidden(
        c.w.app
            .voting
            .update(&c.voter, c.poll, patch.clone(), true)
            .await,
    );
    assert_forbidden(
        c.w.app
            .voting
            .update(&c.outsider, c.poll, patch, true)
            .await,
    );
    let put = PollInput {
        description: Some("x".into()),
        ..PollInput::default()
    };
    assert_eq!(
        field_names(c.w.app.voting.update(&c.org, c.poll, put, false).await),
        ["title"]
    );
    let past = PollInput {
        ends_at: Some(Some(c.w.now() - Duration::hours(1))),
        ..PollInput::default()
    };
    assert_eq!(
        field_names(c.w.app.voting.update(&c.org, c.poll, past, true).await),
        ["ends_at"]
    );
    let open_ended = PollInput {
        ends_at: Some(None),
        ..PollInput::default()
    };
    assert_eq!(
        c.w.app
            .voting
            .update(&c.org, c.poll, open_ended, true)
            .await
            .unwrap()
            .poll
            .ends_at,
        None
    );
}

#[tokio::test]
async fn options_change_only_until_the_first_vote() {
    let c = cast(Visibility::Public, false, false).await;
    let app = &c.w.app.voting;
    let options = |texts: &[&str]| PollInput {
        options: Some(texts.iter().map(|t| (*t).to_owned()).collect()),
        ..PollInput::default()
    };
    let view = app
        .update(&c.creator, c.poll, options(&["Hall", "Beach"]), true)
        .await
        .unwrap();
    let texts: Vec<_> = view.options.iter().map(|(o, _)| o.text.clone()).collect();
    assert_eq!(texts, ["Hall", "Beach"]);
    assert_eq!(
        field_names(
            app.update(&c.creator, c.poll, options(&["solo"]), true)
                .await
        ),
        ["options"]
    );
    let first = view.options[0].0.id.get();
    let ballot = gatherhub_app::voting::VoteInput {
        option_id: Some(first),
        option_ids: None,
    };
    app.vote(&c.voter, c.poll, ballot).await.unwrap();
    assert_conflict(
        app.update(&c.creator, c.poll, options(&["Hall", "Pub"]), true)
            .await,
        ConflictCode::Conflict,
    );
    // The same options sent back are no change.
    let same = PollInput {
        title: Some("Still".into()),
        ..options(&["Hall", "Beach"])
    };
    assert_eq!(
        app.update(&c.creator, c.poll, same, false)
            .await
            .unwrap()
            .poll
            .title,
        "Still"
    );
    assert_eq!(
        app.get(None, c.poll).await.unwrap().options[0].1,
        1,
        "the vote survived"
    );
}

#[tokio::test]
async fn close_is_for_managers_and_idempotent() {
    let c = cast(Visibility::Public, false, false).await;
    let app = &c.w.app.voting;
    assert_forbidden(app.close(&c.voter, c.poll).await);
    let closed = app.close(&c.creator, c.poll).await.unwrap();
    assert!(closed.poll.closed && !app.is_open(&closed));
    c.w.clock.advance(Duration::minutes(1));
    let again = app.close(&c.org, c.poll).await.unwrap();
    assert_eq!(again.poll.updated_at, closed.poll.updated_at);
    assert!(app.close(&c.staff, c.poll).await.unwrap().poll.closed);
}

#[tokio::test]
async fn managers_delete() {
    for who in 0..3 {
        let c = cast(Visibility::Public, false, false).await;
        assert_forbidden(c.w.app.voting.delete(&c.voter, c.poll).await);
        let actor = [&c.creator, &c.org, &c.staff][who];
        c.w.app.voting.delete(actor, c.poll).await.unwrap();
        assert_not_found(c.w.app.voting.get(None, c.poll).await, "Poll");
        assert_not_found(c.w.app.voting.delete(actor, c.poll).await, "Poll");
    }
}
