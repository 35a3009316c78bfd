//! Polls: options, single or multiple choice, open or closed, tallies,
//! percentages and winners.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::text::bounded_text;
use crate::{EventId, OptionId, PollId, UserId, ValidationError};

bounded_text!(
    /// 1–200 characters.
    PollTitle, "title", 1, 200
);
bounded_text!(
    /// Up to 10 000 characters.
    PollDescription, "description", 0, 10_000
);
bounded_text!(
    /// 1–200 characters.
    OptionText, "options", 1, 200
);

pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 20;

/// 2–20 option texts, each 1–200 characters, distinct ignoring case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOptions(Vec<OptionText>);

impl PollOptions {
    pub fn parse<S: AsRef<str>>(texts: &[S]) -> Result<Self, ValidationError> {
        if texts.len() < MIN_OPTIONS || texts.len() > MAX_OPTIONS {
            return Err(ValidationError::new(
                "options",
                format!("A poll needs between {MIN_OPTIONS} and {MAX_OPTIONS} options."),
            ));
        }
        let mut seen = HashSet::new();
        let mut options = Vec::with_capacity(texts.len());
        for text in texts {
            let option = OptionText::parse(text.as_ref())?;
            if !seen.insert(option.as_str().to_lowercase()) {
                return Err(ValidationError::new("options", "Options must be distinct."));
            }
            options.push(option);
        }
        Ok(Self(options))
    }

    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(OptionText::as_str)
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A stored poll (without its options and votes).
#[derive(Debug, Clone, PartialEq)]
pub struct Poll {
    pub id: PollId,
    pub event_id: EventId,
    pub title: String,
    pub description: String,
    pub multiple_choice: bool,
    pub anonymous: bool,
    pub ends_at: Option<DateTime<Utc>>,
    pub closed: bool,
    pub created_by: UserId,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Poll {
    /// Open until closed by hand or until `ends_at` has passed.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        is_open(self.closed, self.ends_at, now)
    }
}

pub fn is_open(closed: bool, ends_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    !closed && ends_at.is_none_or(|end| now < end)
}

/// A stored option of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOption {
    pub id: OptionId,
    pub poll_id: PollId,
    pub text: String,
    pub position: i32,
}

/// A validated new poll.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPoll {
    pub event_id: EventId,
    pub title: PollTitle,
    pub description: PollDescription,
    pub options: PollOptions,
    pub multiple_choice: bool,
    pub anonymous: bool,
    pub ends_at: Option<DateTime<Utc>>,
}

/// A partial update. `options` replaces every option, allowed only while the
/// poll has no vote.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollChanges {
    pub title: Option<PollTitle>,
    pub description: Option<PollDescription>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
    pub options: Option<PollOptions>,
}

impl PollChanges {
    pub fn apply(&self, poll: &Poll, now: DateTime<Utc>) -> Poll {
        let mut next = poll.clone();
        if let Some(title) = &self.title {
            next.title = title.as_str().to_owned();
        }
        if let Some(description) = &self.description {
            next.description = description.as_str().to_owned();
        }
        if let Some(ends_at) = self.ends_at {
            next.ends_at = ends_at;
        }
        next.updated_at = now;
        next
    }
}

/// A ballot: single-choice takes exactly one option, multiple-choice one or more
/// distinct options. Membership of the options in the poll is checked by the
/// caller against the stored options.
pub fn check_ballot(multiple_choice: bool, option_ids: &[OptionId]) -> Result<(), ValidationError> {
    if option_ids.is_empty() {
        return Err(ValidationError::new(
            "option_ids",
            "Choose at least one option.",
        ));
    }
    if !multiple_choice && option_ids.len() > 1 {
        return Err(ValidationError::new(
            "option_ids",
            "This poll takes exactly one option.",
        ));
    }
    let distinct: HashSet<_> = option_ids.iter().collect();
    if distinct.len() != option_ids.len() {
        return Err(ValidationError::new(
            "option_ids",
            "Options must be distinct.",
        ));
    }
    Ok(())
}

/// Every chosen option belongs to the poll.
pub fn check_options_belong(
    chosen: &[OptionId],
    options: &[PollOption],
) -> Result<(), ValidationError> {
    match chosen
        .iter()
        .find(|id| !options.iter().any(|o| o.id == **id))
    {
        Some(id) => Err(ValidationError::new(
            "option_ids",
            format!("Option {id} does not belong to this poll."),
        )),
        None => Ok(()),
    }
}

/// One option's tally.
#[derive(Debug, Clone, PartialEq)]
pub struct OptionTally {
    pub id: OptionId,
    pub text: String,
    pub votes: u64,
    /// Share of all votes cast in this poll, 0–100, rounded to one decimal.
    pub percentage: f64,
}

/// A poll's counted results.
#[derive(Debug, Clone, PartialEq)]
pub struct Tally {
    pub options: Vec<OptionTally>,
    pub total_votes: u64,
    pub total_voters: u64,
    /// The options with the most votes; empty while nobody has voted.
    pub winners: Vec<OptionId>,
}

/// Counts `(option, votes)` pairs in option order.
pub fn tally(options: &[(PollOption, u64)], total_voters: u64) -> Tally {
    let total_votes: u64 = options.iter().map(|(_, votes)| votes).sum();
    let top = options.iter().map(|(_, votes)| *votes).max().unwrap_or(0);
    let winners = if top == 0 {
        Vec::new()
    } else {
        options
            .iter()
            .filter(|(_, v)| *v == top)
            .map(|(o, _)| o.id)
            .collect()
    };
    let options = options
        .iter()
        .map(|(option, votes)| OptionTally {
            id: option.id,
            text: option.text.clone(),
            votes: *votes,
            percentage: percentage(*votes, total_votes),
        })
        .collect();
    Tally {
        options,
        total_votes,
        total_voters,
        winners,
    }
}

fn percentage(votes: u64, total: u64) -> f64 {
    if total == 0 {
        return 0.0;
    }
    (votes as f64 * 1000.0 / total as f64).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn option(id: i64) -> PollOption {
        PollOption {
            id: OptionId(id),
            poll_id: PollId(1),
            text: format!("o{id}"),
            position: id as i32,
        }
    }

    #[test]
    fn options_are_counted_and_distinct() {
        assert!(PollOptions::parse(&["a"]).is_err());
        assert!(PollOptions::parse(&["a", "A"]).is_err());
        assert!(PollOptions::parse(&["a", " "]).is_err());
        assert!(
            PollOptions::parse(
                &vec!["x"; 21]
                    .iter()
                    .enumerate()
                    .map(|(i, _)| i.to_string())
                    .collect::<Vec<_>>()
            )
            .is_err()
        );
        assert_eq!(PollOptions::parse(&["a", "b"]).unwrap().len(), 2);
    }

    #[test]
    fn ballots() {
        let (a, b) = (OptionId(1), OptionId(2));
        assert!(check_ballot(false, &[a]).is_ok());
        assert!(check_ballot(false, &[a, b]).is_err());
        assert!(check_ballot(true, &[a, b]).is_ok());
        assert!(check_ballot(true, &[a, a]).is_err());
        assert!(check_ballot(true, &[]).is_err());
        assert!(check_options_belong(&[OptionId(9)], &[option(1)]).is_err());
    }

    #[test]
    fn openness() {
        let now = Utc::now();
        assert!(is_open(false, None, now));
        assert!(!is_open(true, None, now));
        assert!(!is_open(false, Some(now), now));
        assert!(is_open(
            false,
            Some(now + chrono::Duration::seconds(1)),
            now
        ));
    }

    #[test]
    fn winners_and_percentages() {
        let t = tally(&[(option(1), 2), (option(2), 2), (option(3), 0)], 3);
        assert_eq!(t.winners, vec![OptionId(1), OptionId(2)]);
        assert_eq!(t.total_votes, 4);
        assert_eq!(t.options[0].percentage, 50.0);
        assert!(tally(&[(option(1), 0)], 0).winners.is_empty());
        let thirds = tally(&[(option(1), 1), (option(2), 2)], 3);
        assert_eq!(thirds.options[0].percentage, 33.3);
    }

    proptest! {
        #[test]
        fn tallies_add_up(votes in proptest::collection::vec(0u64..1000, 2..20)) {
            let options: Vec<_> = votes.iter().enumerate().map(|(i, v)| (option(i as i64 + 1), *v)).collect();
            let t = tally(&options, 0);
            prop_assert_eq!(t.total_votes, votes.iter().sum::<u64>());
            prop_assert_eq!(t.options.iter().map(|o| o.votes).sum::<u64>(), t.total_votes);
            let pct: f64 = t.options.iter().map(|o| o.percentage).sum();
            if t.total_votes > 0 {
                prop_assert!((pct - 100.0).abs() <= 0.05 * t.options.len() as f64 + 1e-9);
                let top = *votes.iter().max().unwrap();
                for w in &t.winners {
                    prop_assert_eq!(t.options.iter().find(|o| o.id == *w).unwrap().votes, top);
                }
            } else {
                prop_assert!(t.winners.is_empty());
            }
        }
    }
}
