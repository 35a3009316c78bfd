//! The event a request is about, as the caller may see it: shared by the
//! event, task and voting services so visibility is decided in one place.

use gatherhub_domain::access::{self, Actor};
use gatherhub_domain::{EventId, FieldErrors, ValidationError};
use gatherhub_ports::EventView;

use crate::{AppError, AppResult, Deps};

/// The event with `viewer`'s membership, if it exists and `viewer` may see it.
pub(crate) async fn visible_event(
    deps: &Deps,
    viewer: Option<&Actor>,
    id: EventId,
) -> AppResult<Option<EventView>> {
    if id.get() < 1 {
        return Ok(None);
    }
    let view = deps
        .repos
        .events
        .get_event(id, viewer.map(|v| v.user_id))
        .await?;
    Ok(view.filter(|e| access::can_see_event(e.event.visibility, e.membership.as_ref(), viewer)))
}

/// The event named by the `event` field of a body creating something inside
/// it. Missing is "required" and an event the caller cannot see is "Invalid
/// event." (both recorded in `errors`); one they see but are not going to is
/// `Forbidden(forbidden)`, since only going members create tasks and polls.
pub(crate) async fn parent_event(
    deps: &Deps,
    actor: &Actor,
    id: Option<i64>,
    errors: &mut FieldErrors,
    forbidden: &'static str,
) -> AppResult<Option<EventView>> {
    let Some(id) = id else {
        errors.push(ValidationError::required("event"));
        return Ok(None);
    };
    let event = visible_event(deps, Some(actor), EventId(id)).await?;
    match &event {
        None => errors.add("event", "Invalid event."),
        Some(event) if !access::is_going_member(event.membership.as_ref()) => {
            return Err(AppError::Forbidden(forbidden));
        }
        Some(_) => {}
    }
    Ok(event)
}
