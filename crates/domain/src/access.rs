//! Who may see and change what. Visibility comes before permission: what a
//! caller may not see is answered as missing; what they may see but not change
//! is forbidden.

use crate::UserId;
use crate::event::Visibility;
use crate::membership::Membership;

/// The authenticated caller of a use case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    pub is_staff: bool,
}

/// Anyone sees a public event; a private one only its members (going or
/// waitlisted) and staff.
pub fn can_see_event(
    visibility: Visibility,
    membership: Option<&Membership>,
    viewer: Option<&Actor>,
) -> bool {
    visibility == Visibility::Public || viewer.is_some_and(|v| v.is_staff) || membership.is_some()
}

/// The organizer and staff manage an event and its members.
pub fn can_manage_event(organizer: UserId, actor: &Actor) -> bool {
    actor.is_staff || actor.user_id == organizer
}

/// Tasks are seen by the event's going members (the organizer is one) and staff.
pub fn can_see_tasks(membership: Option<&Membership>, actor: Option<&Actor>) -> bool {
    actor.is_some_and(|a| a.is_staff) || membership.is_some_and(Membership::is_going)
}

/// Only going members create tasks and polls and vote.
pub fn is_going_member(membership: Option<&Membership>) -> bool {
    membership.is_some_and(Membership::is_going)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventId;
    use crate::membership::{MemberStatus, Role};
    use chrono::Utc;

    fn member(status: MemberStatus) -> Membership {
        Membership {
            event_id: EventId(1),
            user_id: UserId(2),
            role: Role::Member,
            status,
            waitlist_position: None,
            joined_at: Utc::now(),
        }
    }

    #[test]
    fn private_events_are_for_members_and_staff() {
        let user = Actor {
            user_id: UserId(2),
            is_staff: false,
        };
        let staff = Actor {
            user_id: UserId(3),
            is_staff: true,
        };
        assert!(can_see_event(Visibility::Public, None, None));
        assert!(!can_see_event(Visibility::Private, None, None));
        assert!(!can_see_event(Visibility::Private, None, Some(&user)));
        assert!(can_see_event(
            Visibility::Private,
            Some(&member(MemberStatus::Waitlisted)),
            Some(&user)
        ));
        assert!(can_see_event(Visibility::Private, None, Some(&staff)));
    }

    #[test]
    fn tasks_need_a_going_membership() {
        let user = Actor {
            user_id: UserId(2),
            is_staff: false,
        };
        assert!(!can_see_tasks(
            Some(&member(MemberStatus::Waitlisted)),
            Some(&user)
        ));
        assert!(can_see_tasks(
            Some(&member(MemberStatus::Going)),
            Some(&user)
        ));
        assert!(!can_see_tasks(None, None));
    }
}
