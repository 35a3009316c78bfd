//! The tables of the in-memory store, their id sequences, and the lookups
//! every repository shares.

use std::collections::{BTreeMap, HashMap};

use gatherhub_domain::event::Event;
use gatherhub_domain::membership::Roster;
use gatherhub_domain::poll::{Poll, PollOption};
use gatherhub_domain::task::Task;
use gatherhub_domain::user::{User, UserSummary};
use gatherhub_domain::{EventId, OptionId, Page, PollId, TaskId, UserId};
use gatherhub_ports::{RepoError, RepoResult, Session};

/// One table's id sequence: 1, 2, 3, ... never reused.
#[derive(Debug, Default)]
pub(crate) struct Sequence(i64);

impl Sequence {
    pub(crate) fn next(&mut self) -> i64 {
        self.0 += 1;
        self.0
    }
}

#[derive(Debug, Default)]
pub(crate) struct Sequences {
    pub(crate) user: Sequence,
    pub(crate) event: Sequence,
    pub(crate) task: Sequence,
    pub(crate) poll: Sequence,
    pub(crate) option: Sequence,
}

/// An event and its members. `roster.capacity` always equals
/// `event.max_participants`.
#[derive(Debug, Clone)]
pub(crate) struct EventRow {
    pub(crate) event: Event,
    pub(crate) roster: Roster,
}

/// One user's choice of one option.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Vote {
    pub(crate) option: OptionId,
    pub(crate) user: UserId,
}

/// A poll with its options (in position order) and its votes (in the order
/// they were cast).
#[derive(Debug, Clone)]
pub(crate) struct PollRow {
    pub(crate) poll: Poll,
    pub(crate) options: Vec<PollOption>,
    pub(crate) votes: Vec<Vote>,
}

/// Every table. Ordered maps keep iteration in id order, which is the
/// tie-breaker of every list.
#[derive(Debug, Default)]
pub(crate) struct State {
    pub(crate) users: BTreeMap<UserId, User>,
    /// Case-folded username and email to their user: the unique indexes.
    pub(crate) usernames: HashMap<String, UserId>,
    pub(crate) emails: HashMap<String, UserId>,
    pub(crate) sessions: HashMap<String, Session>,
    pub(crate) events: BTreeMap<EventId, EventRow>,
    pub(crate) tasks: BTreeMap<TaskId, Task>,
    pub(crate) polls: BTreeMap<PollId, PollRow>,
    pub(crate) ids: Sequences,
}

/// How uniqueness of usernames and emails is compared.
pub(crate) fn fold(value: &str) -> String {
    value.to_lowercase()
}

/// Case-insensitive substring match; `needle` is already folded.
pub(crate) fn contains_folded(haystack: &str, needle: &str) -> bool {
    fold(haystack).contains(needle)
}

/// Builds the views of one page, failing if any view fails.
pub(crate) fn try_map<T, U>(
    page: Page<T>,
    f: impl FnMut(T) -> RepoResult<U>,
) -> RepoResult<Page<U>> {
    Ok(Page {
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(f)
            .collect::<RepoResult<Vec<_>>>()?,
    })
}

impl State {
    /// `NotFound` unless the user exists: what a foreign key would say.
    pub(crate) fn require_user(&self, id: UserId) -> RepoResult<()> {
        if self.users.contains_key(&id) {
            Ok(())
        } else {
            Err(RepoError::NotFound)
        }
    }

    /// The summary of a user another row refers to. Users are never deleted,
    /// so a miss means the tables are inconsistent.
    pub(crate) fn summary(&self, id: UserId) -> RepoResult<UserSummary> {
        self.users
            .get(&id)
            .map(User::summary)
            .ok_or_else(|| RepoError::unknown(format!("user {id} is referenced but missing")))
    }

    pub(crate) fn event_row(&self, id: EventId) -> RepoResult<&EventRow> {
        self.events.get(&id).ok_or(RepoError::NotFound)
    }

    /// Whether `user` is a going member of `event` right now.
    pub(crate) fn is_going(&self, event: EventId, user: UserId) -> bool {
        self.events
            .get(&event)
            .and_then(|row| row.roster.get(user))
            .is_some_and(|m| m.is_going())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sequences_start_at_one() {
        let mut seq = Sequence::default();
        assert_eq!((seq.next(), seq.next()), (1, 2));
    }

    #[test]
    fn folding_ignores_case() {
        assert!(contains_folded("Community Center", &fold("CENTER")));
        assert_eq!(fold("Alice@Example.com"), "alice@example.com");
    }
}
