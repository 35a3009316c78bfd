//! Membership of events: roles, going/waitlisted, capacity and FIFO waitlist
//! promotion.
//!
//! [`Roster`] is the reference model of one event's members. The in-memory
//! adapter keeps its state in it; the SQL adapters implement the same rules with a
//! row lock and use [`admit`] and [`promotable`] to decide.

use chrono::{DateTime, Utc};

use crate::event::Capacity;
use crate::{EventId, UserId, ValidationError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Organizer,
    Member,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Organizer => "organizer",
            Self::Member => "member",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberStatus {
    Going,
    Waitlisted,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Going => "going",
            Self::Waitlisted => "waitlisted",
        }
    }
}

/// One user's membership of one event. `waitlist_position` is 1-based and set
/// only while waitlisted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub event_id: EventId,
    pub user_id: UserId,
    pub role: Role,
    pub status: MemberStatus,
    pub waitlist_position: Option<u32>,
    pub joined_at: DateTime<Utc>,
}

impl Membership {
    pub fn is_going(&self) -> bool {
        self.status == MemberStatus::Going
    }
}

/// The status a newcomer gets when `going` members already hold places.
pub fn admit(capacity: Option<Capacity>, going: u64) -> MemberStatus {
    match capacity {
        Some(cap) if going >= u64::from(cap.get()) => MemberStatus::Waitlisted,
        _ => MemberStatus::Going,
    }
}

/// How many of the `waitlisted` members move up now that `going` hold places.
pub fn promotable(capacity: Option<Capacity>, going: u64, waitlisted: u64) -> u64 {
    match capacity {
        None => waitlisted,
        Some(cap) => u64::from(cap.get()).saturating_sub(going).min(waitlisted),
    }
}

/// Capacity may not drop below the members already going.
pub fn check_capacity_change(
    capacity: Option<Capacity>,
    going: u64,
) -> Result<(), ValidationError> {
    match capacity {
        Some(cap) if u64::from(cap.get()) < going => Err(ValidationError::new(
            "max_participants",
            format!("Ensure this value is at least the number of going participants ({going})."),
        )),
        _ => Ok(()),
    }
}

/// Why a member could not leave or be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LeaveError {
    #[error("the user is not a member of this event")]
    NotMember,
    #[error("the organizer cannot leave their own event")]
    OrganizerCannotLeave,
}

/// Outcome of a join: the membership and whether it was created just now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub membership: Membership,
    pub created: bool,
}

/// One event's members in join order, with capacity. Joining, leaving and
/// capacity changes keep: going ≤ capacity, one membership per user, the
/// waitlist in FIFO order with positions 1..n.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Roster {
    pub event_id: EventId,
    pub capacity: Option<Capacity>,
    /// In join order; waitlist order is the order of the waitlisted entries here.
    members: Vec<Entry>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    user_id: UserId,
    role: Role,
    status: MemberStatus,
    joined_at: DateTime<Utc>,
}

impl Roster {
    /// A new event's roster, holding its organizer as the first going member.
    pub fn new(
        event_id: EventId,
        capacity: Option<Capacity>,
        organizer: UserId,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            event_id,
            capacity,
            members: vec![Entry {
                user_id: organizer,
                role: Role::Organizer,
                status: MemberStatus::Going,
                joined_at: now,
            }],
        }
    }

    pub fn going(&self) -> u64 {
        self.members
            .iter()
            .filter(|m| m.status == MemberStatus::Going)
            .count() as u64
    }

    pub fn waitlisted(&self) -> u64 {
        self.members.len() as u64 - self.going()
    }

    pub fn get(&self, user: UserId) -> Option<Membership> {
        let mut position = 0;
        for entry in &self.members {
            if entry.status == MemberStatus::Waitlisted {
                position += 1;
            }
            if entry.user_id == user {
                return Some(self.view(entry, position));
            }
        }
        None
    }

    /// Every membership: going members first in join order, then the waitlist in
    /// order.
    pub fn list(&self) -> Vec<Membership> {
        let going = self
            .members
            .iter()
            .filter(|m| m.status == MemberStatus::Going)
            .map(|m| self.view(m, 0));
        let waitlist = self
            .members
            .iter()
            .filter(|m| m.status == MemberStatus::Waitlisted)
            .enumerate()
            .map(|(i, m)| self.view(m, i as u32 + 1));
        going.chain(waitlist).collect()
    }

    fn view(&self, entry: &Entry, position: u32) -> Membership {
        Membership {
            event_id: self.event_id,
            user_id: entry.user_id,
            role: entry.role,
            status: entry.status,
            waitlist_position: (entry.status == MemberStatus::Waitlisted).then_some(position),
            joined_at: entry.joined_at,
        }
    }

    /// Adds `user` as going, or waitlisted when full. An existing member is
    /// returned unchanged.
    pub fn join(&mut self, user: UserId, now: DateTime<Utc>) -> Joined {
        if let Some(membership) = self.get(user) {
            return Joined {
                membership,
                created: false,
            };
        }
        let status = admit(self.capacity, self.going());
        self.members.push(Entry {
            user_id: user,
            role: Role::Member,
            status,
            joined_at: now,
        });
        let membership = self
            .get(user)
            .unwrap_or_else(|| unreachable!("just inserted"));
        Joined {
            membership,
            created: true,
        }
    }

    /// Removes a member and promotes from the waitlist; returns who was promoted.
    pub fn leave(&mut self, user: UserId) -> Result<Vec<UserId>, LeaveError> {
        let index = self
            .members
            .iter()
            .position(|m| m.user_id == user)
            .ok_or(LeaveError::NotMember)?;
        if self.members[index].role == Role::Organizer {
            return Err(LeaveError::OrganizerCannotLeave);
        }
        self.members.remove(index);
        Ok(self.promote())
    }

    /// Changes the capacity, refusing to drop below the going count, and promotes
    /// from the waitlist when it grew.
    pub fn set_capacity(
        &mut self,
        capacity: Option<Capacity>,
    ) -> Result<Vec<UserId>, ValidationError> {
        check_capacity_change(capacity, self.going())?;
        self.capacity = capacity;
        Ok(self.promote())
    }

    fn promote(&mut self) -> Vec<UserId> {
        let mut count = promotable(self.capacity, self.going(), self.waitlisted());
        let mut promoted = Vec::new();
        for entry in &mut self.members {
            if count == 0 {
                break;
            }
            if entry.status == MemberStatus::Waitlisted {
                entry.status = MemberStatus::Going;
                promoted.push(entry.user_id);
                count -= 1;
            }
        }
        promoted
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn roster(cap: Option<u32>) -> Roster {
        Roster::new(
            EventId(1),
            cap.map(|c| Capacity::new(c.into()).unwrap()),
            UserId(1),
            Utc::now(),
        )
    }

    #[test]
    fn full_event_waitlists_in_order_and_promotes_fifo() {
        let mut r = roster(Some(2));
        let now = Utc::now();
        assert_eq!(
            r.join(UserId(2), now).membership.status,
            MemberStatus::Going
        );
        let w1 = r.join(UserId(3), now).membership;
        let w2 = r.join(UserId(4), now).membership;
        assert_eq!(
            (w1.status, w1.waitlist_position),
            (MemberStatus::Waitlisted, Some(1))
        );
        assert_eq!(w2.waitlist_position, Some(2));
        assert_eq!(r.leave(UserId(2)).unwrap(), vec![UserId(3)]);
        assert_eq!(r.get(UserId(4)).unwrap().waitlist_position, Some(1));
        assert_eq!(r.set_capacity(None).unwrap(), vec![UserId(4)]);
    }

    #[test]
    fn rejoining_returns_the_existing_membership() {
        let mut r = roster(None);
        let first = r.join(UserId(2), Utc::now());
        let again = r.join(UserId(2), Utc::now());
        assert!(first.created && !again.created);
        assert_eq!(first.membership, again.membership);
    }

    #[test]
    fn organizer_cannot_leave_and_strangers_are_not_members() {
        let mut r = roster(None);
        assert_eq!(r.leave(UserId(1)), Err(LeaveError::OrganizerCannotLeave));
        assert_eq!(r.leave(UserId(9)), Err(LeaveError::NotMember));
    }

    #[test]
    fn capacity_cannot_drop_below_going() {
        let mut r = roster(Some(5));
        r.join(UserId(2), Utc::now());
        assert!(r.set_capacity(Some(Capacity::new(1).unwrap())).is_err());
        assert!(r.set_capacity(Some(Capacity::new(2).unwrap())).is_ok());
    }

    #[derive(Debug, Clone)]
    enum Op {
        Join(i64),
        Leave(i64),
        Capacity(Option<u32>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => (2i64..30).prop_map(Op::Join),
            2 => (1i64..30).prop_map(Op::Leave),
            1 => proptest::option::of(1u32..12).prop_map(Op::Capacity),
        ]
    }

    proptest! {
        #[test]
        fn invariants_hold_under_any_sequence(cap in proptest::option::of(1u32..12), ops in proptest::collection::vec(op(), 0..200)) {
            let mut r = roster(cap);
            for op in ops {
                match op {
                    Op::Join(u) => { r.join(UserId(u), Utc::now()); }
                    Op::Leave(u) => { let _ = r.leave(UserId(u)); }
                    Op::Capacity(c) => { let _ = r.set_capacity(c.map(|c| Capacity::new(c.into()).unwrap())); }
                }
                let list = r.list();
                // going never exceeds capacity
                if let Some(cap) = r.capacity { prop_assert!(r.going() <= u64::from(cap.get())); }
                // nobody waits while a place is free
                let free = r.capacity.is_none_or(|c| r.going() < u64::from(c.get()));
                prop_assert!(!(free && r.waitlisted() > 0));
                // one membership per user
                let mut users: Vec<_> = list.iter().map(|m| m.user_id).collect();
                users.sort();
                users.dedup();
                prop_assert_eq!(users.len(), list.len());
                // waitlist positions are 1..n without gaps
                let positions: Vec<u32> = list.iter().filter_map(|m| m.waitlist_position).collect();
                prop_assert_eq!(positions, (1..=r.waitlisted() as u32).collect::<Vec<_>>());
                // the organizer is always there and going
                prop_assert_eq!(r.get(UserId(1)).map(|m| (m.role, m.status)), Some((Role::Organizer, MemberStatus::Going)));
            }
        }
    }
}
