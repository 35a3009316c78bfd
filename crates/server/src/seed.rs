//! `gatherhub seed`: sample users, events with members and a waitlist, tasks
//! and polls with votes, created through the use cases (so every rule
//! applies), with a progress line per step. For development and demos: the
//! sample users share one published password.

use chrono::{Duration, Utc};
use gatherhub_app::auth::RegisterInput;
use gatherhub_app::events::EventInput;
use gatherhub_app::tasks::{AssignInput, TaskInput};
use gatherhub_app::voting::{PollInput, VoteInput};
use gatherhub_app::{Actor, App, AppError};
use gatherhub_domain::{EventId, OptionId, TaskId};

/// The password of every sample user.
pub const SEED_PASSWORD: &str = "gatherhub-demo-2024";

const USERS: [(&str, &str, &str); 6] = [
    ("alice", "Alice", "Martin"),
    ("bob", "Bob", "Nguyen"),
    ("carol", "Carol", "Okafor"),
    ("dave", "Dave", "Schmidt"),
    ("erin", "Erin", "Rossi"),
    ("frank", "Frank", "Kowalski"),
];

/// What was created.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub users: usize,
    pub events: usize,
    pub memberships: usize,
    pub tasks: usize,
    pub polls: usize,
    pub votes: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(
        "the database already holds sample data (user \"alice\" exists); seed an empty database"
    )]
    AlreadySeeded,
    #[error("seeding failed while {step}: {source}")]
    Step {
        step: &'static str,
        #[source]
        source: AppError,
    },
}

fn at(step: &'static str) -> impl FnOnce(AppError) -> SeedError {
    move |source| SeedError::Step { step, source }
}

/// Seeds `app`, calling `progress` with a line per step.
pub async fn seed(app: &App, mut progress: impl FnMut(&str)) -> Result<SeedReport, SeedError> {
    if app
        .deps
        .repos
        .users
        .find_by_username("alice")
        .await
        .map_err(|e| at("checking for existing data")(e.into()))?
        .is_some()
    {
        return Err(SeedError::AlreadySeeded);
    }
    let mut report = SeedReport::default();
    let mut actors = Vec::new();
    for (username, first, last) in USERS {
        let done = app
            .auth
            .register(RegisterInput {
                username: Some(username.to_owned()),
                email: Some(format!("{username}@example.com")),
                password: Some(SEED_PASSWORD.to_owned()),
                first_name: Some(first.to_owned()),
                last_name: Some(last.to_owned()),
            })
            .await
            .map_err(at("creating users"))?;
        actors.push(Actor {
            user_id: done.user.id,
            is_staff: false,
        });
        report.users += 1;
    }
    progress(&format!(
        "users: {} (password {SEED_PASSWORD:?})",
        report.users
    ));
    let [alice, bob, carol, dave, erin, frank] = [0, 1, 2, 3, 4, 5].map(|i| actors[i]);

    let event = |title: &str, days: i64, capacity: Option<i64>, visibility: &str| EventInput {
        title: Some(title.to_owned()),
        description: Some(format!("{title}: a GatherHub sample event.")),
        date: Some(Utc::now() + Duration::days(days)),
        end_date: Some(Some(Utc::now() + Duration::days(days) + Duration::hours(3))),
        location: Some("Community Center".to_owned()),
        max_participants: Some(capacity),
        visibility: Some(visibility.to_owned()),
        status: None,
    };
    let meetup = app
        .events
        .create(&alice, event("Community Meetup", 7, Some(4), "public"))
        .await
        .map_err(at("creating events"))?;
    let hackathon = app
        .events
        .create(&bob, event("Weekend Hackathon", 14, None, "public"))
        .await
        .map_err(at("creating events"))?;
    let board = app
        .events
        .create(
            &carol,
            event("Organisers' Board Meeting", 3, Some(10), "private"),
        )
        .await
        .map_err(at("creating events"))?;
    report.events = 3;
    let (meetup, hackathon, board) = (meetup.event.id, hackathon.event.id, board.event.id);
    progress(&format!("events: {}", report.events));

    // The meetup fills up (capacity 4, organizer included): two wait.
    for (actor, id) in [
        (bob, meetup),
        (carol, meetup),
        (dave, meetup),
        (erin, meetup),
        (frank, meetup),
        (alice, hackathon),
        (dave, hackathon),
        (erin, hackathon),
    ] {
        app.events
            .join(&actor, id)
            .await
            .map_err(at("joining events"))?;
        report.memberships += 1;
    }
    app.events
        .add_member(&carol, board, Some("alice".to_owned()))
        .await
        .map_err(at("adding members"))?;
    report.memberships += 1;
    progress(&format!(
        "memberships: {} (2 waitlisted)",
        report.memberships
    ));

    let task = |event: EventId, title: &str, priority: &str, assignee: Option<Actor>| TaskInput {
        event: Some(event.get()),
        title: Some(title.to_owned()),
        description: None,
        status: None,
        priority: Some(priority.to_owned()),
        due_date: Some(Some(Utc::now() + Duration::days(5))),
        assignee_id: Some(assignee.map(|a| a.user_id.get())),
    };
    let venue = app
        .tasks
        .create(&alice, task(meetup, "Book the venue", "high", Some(bob)))
        .await
        .map_err(at("creating tasks"))?;
    app.tasks
        .create(&alice, task(meetup, "Order snacks", "low", None))
        .await
        .map_err(at("creating tasks"))?;
    let unclaimed = app
        .tasks
        .create(&bob, task(hackathon, "Set up the Wi-Fi", "urgent", None))
        .await
        .map_err(at("creating tasks"))?;
    report.tasks = 3;
    app.tasks
        .complete(&bob, TaskId(venue.task.id.get()))
        .await
        .map_err(at("completing tasks"))?;
    app.tasks
        .assign(&dave, unclaimed.task.id, AssignInput::default())
        .await
        .map_err(at("claiming tasks"))?;
    progress(&format!("tasks: {} (one done, one claimed)", report.tasks));

    let poll = app
        .voting
        .create(
            &alice,
            PollInput {
                event: Some(meetup.get()),
                title: Some("Choose the venue".to_owned()),
                description: Some("Where should we hold the next meetup?".to_owned()),
                options: Some(vec![
                    "Community Center".to_owned(),
                    "Library".to_owned(),
                    "Park".to_owned(),
                ]),
                multiple_choice: Some(false),
                anonymous: Some(false),
                ends_at: Some(Some(Utc::now() + Duration::days(6))),
            },
        )
        .await
        .map_err(at("creating polls"))?;
    let snacks = app
        .voting
        .create(
            &bob,
            PollInput {
                event: Some(hackathon.get()),
                title: Some("Which snacks?".to_owned()),
                description: None,
                options: Some(vec![
                    "Pizza".to_owned(),
                    "Sushi".to_owned(),
                    "Fruit".to_owned(),
                ]),
                multiple_choice: Some(true),
                anonymous: Some(true),
                ends_at: Some(None),
            },
        )
        .await
        .map_err(at("creating polls"))?;
    report.polls = 2;
    let option = |view: &gatherhub_ports::PollView, index: usize| -> Option<OptionId> {
        view.options.get(index).map(|(option, _)| option.id)
    };
    let ballots = [
        (alice, &poll, vec![0]),
        (bob, &poll, vec![0]),
        (carol, &poll, vec![1]),
        (dave, &poll, vec![0]),
        (bob, &snacks, vec![0, 1]),
        (dave, &snacks, vec![0]),
        (erin, &snacks, vec![0, 2]),
    ];
    for (actor, view, choices) in ballots {
        let option_ids = choices
            .iter()
            .filter_map(|&i| option(view, i))
            .map(|id| id.get())
            .collect();
        app.voting
            .vote(
                &actor,
                view.poll.id,
                VoteInput {
                    option_id: None,
                    option_ids: Some(option_ids),
                },
            )
            .await
            .map_err(at("voting"))?;
        report.votes += 1;
    }
    progress(&format!(
        "polls: {} with {} ballots",
        report.polls, report.votes
    ));
    Ok(report)
}
