//! The list queries: which rows a viewer may see, the filters, and the
//! orderings, each with ties broken by id in the ordering's direction so that
//! pages never overlap.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use gatherhub_domain::access::can_see_event;
use gatherhub_domain::event::Event;
use gatherhub_domain::task::Task;
use gatherhub_ports::{
    EventOrdering, EventQuery, PollOrdering, PollQuery, TaskOrdering, TaskQuery,
};

use crate::state::{EventRow, PollRow, State, contains_folded, fold};

/// The events `query.viewer` may see that pass every filter, in order.
pub(crate) fn events<'s>(state: &'s State, query: &EventQuery) -> Vec<&'s EventRow> {
    let viewer = query.viewer.as_ref();
    let filter = &query.filter;
    let search = filter.search.as_deref().map(fold);
    let mut rows: Vec<&EventRow> = state
        .events
        .values()
        .filter(|row| {
            let event = &row.event;
            let membership = viewer.and_then(|v| row.roster.get(v.user_id));
            can_see_event(event.visibility, membership.as_ref(), viewer)
                && (!filter.joined || membership.is_some())
                && filter.status.is_none_or(|s| event.status(query.now) == s)
                && filter.visibility.is_none_or(|v| event.visibility == v)
                && filter.organizer.is_none_or(|o| event.organizer_id == o)
                && filter.date_from.is_none_or(|from| event.date >= from)
                && filter.date_to.is_none_or(|to| event.date <= to)
                && search.as_deref().is_none_or(|needle| {
                    contains_folded(&event.title, needle)
                        || contains_folded(&event.description, needle)
                        || contains_folded(&event.location, needle)
                })
        })
        .collect();
    rows.sort_by(|a, b| event_order(query.ordering, &a.event, &b.event));
    rows
}

fn event_order(ordering: EventOrdering, a: &Event, b: &Event) -> Ordering {
    let by_id = a.id.cmp(&b.id);
    match ordering {
        EventOrdering::Date => a.date.cmp(&b.date).then(by_id),
        EventOrdering::DateDesc => b.date.cmp(&a.date).then(by_id.reverse()),
        EventOrdering::CreatedAt => a.created_at.cmp(&b.created_at).then(by_id),
        EventOrdering::CreatedAtDesc => b.created_at.cmp(&a.created_at).then(by_id.reverse()),
        EventOrdering::Title => a.title.cmp(&b.title).then(by_id),
        EventOrdering::TitleDesc => b.title.cmp(&a.title).then(by_id.reverse()),
    }
}

/// The tasks of events where the actor is a going member (every task for
/// staff) that pass every filter, in order.
pub(crate) fn tasks<'s>(state: &'s State, query: &TaskQuery) -> Vec<&'s Task> {
    let actor = &query.actor;
    let filter = &query.filter;
    let search = filter.search.as_deref().map(fold);
    let mut tasks: Vec<&Task> = state
        .tasks
        .values()
        .filter(|task| {
            (actor.is_staff || state.is_going(task.event_id, actor.user_id))
                && filter.event.is_none_or(|e| task.event_id == e)
                && filter.status.is_none_or(|s| task.status == s)
                && filter.priority.is_none_or(|p| task.priority == p)
                && filter.assignee.is_none_or(|a| task.assignee_id == Some(a))
                && filter
                    .due_before
                    .is_none_or(|before| task.due_date.is_some_and(|due| due < before))
                && filter
                    .due_after
                    .is_none_or(|after| task.due_date.is_some_and(|due| due > after))
                && search.as_deref().is_none_or(|needle| {
                    contains_folded(&task.title, needle)
                        || contains_folded(&task.description, needle)
                })
        })
        .collect();
    tasks.sort_by(|a, b| task_order(query.ordering, a, b));
    tasks
}

fn task_order(ordering: TaskOrdering, a: &Task, b: &Task) -> Ordering {
    let by_id = a.id.cmp(&b.id);
    match ordering {
        TaskOrdering::DueDate => nones_last(a.due_date, b.due_date, false).then(by_id),
        TaskOrdering::DueDateDesc => nones_last(a.due_date, b.due_date, true).then(by_id.reverse()),
        TaskOrdering::Priority => a.priority.rank().cmp(&b.priority.rank()).then(by_id),
        TaskOrdering::PriorityDesc => b
            .priority
            .rank()
            .cmp(&a.priority.rank())
            .then(by_id.reverse()),
        TaskOrdering::CreatedAt => a.created_at.cmp(&b.created_at).then(by_id),
        TaskOrdering::CreatedAtDesc => b.created_at.cmp(&a.created_at).then(by_id.reverse()),
    }
}

/// Compares optional instants with the missing ones last in either direction.
fn nones_last(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>, descending: bool) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) if descending => b.cmp(&a),
        (Some(a), Some(b)) => a.cmp(&b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// The polls of events `query.viewer` may see that pass every filter, in order.
pub(crate) fn polls<'s>(state: &'s State, query: &PollQuery) -> Vec<&'s PollRow> {
    let viewer = query.viewer.as_ref();
    let mut polls: Vec<&PollRow> = state
        .polls
        .values()
        .filter(|row| {
            let poll = &row.poll;
            state.events.get(&poll.event_id).is_some_and(|event| {
                let membership = viewer.and_then(|v| event.roster.get(v.user_id));
                can_see_event(event.event.visibility, membership.as_ref(), viewer)
            }) && query.event.is_none_or(|e| poll.event_id == e)
                && query
                    .is_open
                    .is_none_or(|open| poll.is_open(query.now) == open)
        })
        .collect();
    polls.sort_by(|a, b| poll_order(query.ordering, a, b));
    polls
}

/// `EndsAt` orderings put polls without an end last, as tasks without a due
/// date are.
fn poll_order(ordering: PollOrdering, a: &PollRow, b: &PollRow) -> Ordering {
    let (a, b) = (&a.poll, &b.poll);
    let by_id = a.id.cmp(&b.id);
    match ordering {
        PollOrdering::CreatedAt => a.created_at.cmp(&b.created_at).then(by_id),
        PollOrdering::CreatedAtDesc => b.created_at.cmp(&a.created_at).then(by_id.reverse()),
        PollOrdering::EndsAt => nones_last(a.ends_at, b.ends_at, false).then(by_id),
        PollOrdering::EndsAtDesc => nones_last(a.ends_at, b.ends_at, true).then(by_id.reverse()),
        PollOrdering::Title => a.title.cmp(&b.title).then(by_id),
        PollOrdering::TitleDesc => b.title.cmp(&a.title).then(by_id.reverse()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn missing_instants_sort_last_both_ways() {
        let now = Utc::now();
        let later = Some(now + Duration::hours(1));
        assert_eq!(nones_last(Some(now), later, false), Ordering::Less);
        assert_eq!(nones_last(Some(now), later, true), Ordering::Greater);
        assert_eq!(nones_last(None, Some(now), false), Ordering::Greater);
        assert_eq!(nones_last(None, Some(now), true), Ordering::Greater);
        assert_eq!(nones_last(None, None, true), Ordering::Equal);
    }
}
