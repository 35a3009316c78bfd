//! What callers send to the voting use cases, and how it becomes domain values.

use chrono::{DateTime, Utc};
use gatherhub_domain::event::check_future;
use gatherhub_domain::poll::{PollChanges, PollDescription, PollOptions, PollTitle};
use gatherhub_domain::{FieldErrors, OptionId, PageRequest, ValidationError};
use gatherhub_ports::{PollOrdering, PollView};

/// A poll body for create, PUT and PATCH. On update `event`,
/// `multiple_choice` and `anonymous` are read-only and ignored.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PollInput {
    pub event: Option<i64>,
    pub title: Option<String>,
    pub description: Option<String>,
    /// The option texts, in order.
    pub options: Option<Vec<String>>,
    pub multiple_choice: Option<bool>,
    pub anonymous: Option<bool>,
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

/// A ballot: exactly one of the two fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VoteInput {
    pub option_id: Option<i64>,
    pub option_ids: Option<Vec<i64>>,
}

/// The query string of the poll list, unparsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PollListInput {
    pub event: Option<String>,
    pub is_open: Option<String>,
    pub ordering: Option<String>,
    pub page: PageRequest,
}

impl Default for PollListInput {
    fn default() -> Self {
        Self {
            event: None,
            is_open: None,
            ordering: None,
            page: PageRequest::first(),
        }
    }
}

pub(crate) const ORDERINGS: &[(&str, PollOrdering)] = &[
    ("created_at", PollOrdering::CreatedAt),
    ("-created_at", PollOrdering::CreatedAtDesc),
    ("ends_at", PollOrdering::EndsAt),
    ("-ends_at", PollOrdering::EndsAtDesc),
    ("title", PollOrdering::Title),
    ("-title", PollOrdering::TitleDesc),
];

/// The writable fields of `input` as changes; `creating` requires `title` and
/// `options`, a PUT only `title`. A new end must lie in the future.
pub(crate) fn changes(
    input: &PollInput,
    require_title: bool,
    require_options: bool,
    now: DateTime<Utc>,
    errors: &mut FieldErrors,
) -> PollChanges {
    let title = match &input.title {
        Some(title) => errors.check(PollTitle::parse(title)),
        None => required(errors, require_title, "title"),
    };
    let options = match &input.options {
        Some(texts) => errors.check(PollOptions::parse(texts)),
        None => required(errors, require_options, "options"),
    };
    let ends_at = match input.ends_at {
        Some(Some(end)) => errors
            .check(check_future("ends_at", end, now))
            .map(|()| Some(end)),
        other => other,
    };
    PollChanges {
        title,
        description: input
            .description
            .as_deref()
            .and_then(|d| errors.check(PollDescription::parse(d))),
        ends_at,
        options,
    }
}

fn required<T>(errors: &mut FieldErrors, is_required: bool, field: &str) -> Option<T> {
    if is_required {
        errors.push(ValidationError::required(field));
    }
    None
}

/// Drops an options change that repeats the current options: re-sending a
/// poll unchanged is not a change of options, even after votes.
pub(crate) fn drop_same_options(mut changes: PollChanges, view: &PollView) -> PollChanges {
    let same = changes.options.as_ref().is_some_and(|new| {
        new.len() == view.options.len()
            && new
                .texts()
                .zip(&view.options)
                .all(|(text, (o, _))| text == o.text)
    });
    if same {
        changes.options = None;
    }
    changes
}

/// The chosen options and the field the caller named them in.
pub(crate) fn ballot(input: &VoteInput) -> Result<(Vec<OptionId>, &'static str), FieldErrors> {
    match (input.option_id, &input.option_ids) {
        (Some(id), None) => Ok((vec![OptionId(id)], "option_id")),
        (None, Some(ids)) => Ok((ids.iter().copied().map(OptionId).collect(), "option_ids")),
        (Some(_), Some(_)) => Err(FieldErrors::single(
            "non_field_errors",
            "Give either option_id or option_ids, not both.",
        )),
        (None, None) => Err(FieldErrors::single(
            "non_field_errors",
            "Give option_id (one option) or option_ids (a list of options).",
        )),
    }
}

/// Reports ballot errors under the field the caller used (`option_id` for a
/// single id), since the domain names them `option_ids`.
pub(crate) fn rename(error: ValidationError, field: &'static str) -> FieldErrors {
    FieldErrors::single(field, error.message)
}
