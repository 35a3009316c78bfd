//! The text encoding of [`Broadcast`] for fabrics that cross processes.
//!
//! Shape (version `gh1`), chosen so envelopes travel verbatim with explicit
//! byte lengths, never parsed or re-serialised by the fabric:
//! - `gh1 event <kind> <event_id>\n` then per version
//!   `<audience> <len>\n<len bytes of envelope>\n`, where audience is `*`
//!   (public) or `u:<id>,<id>,...`;
//! - `gh1 revoked\n<session id>\n...`;
//! - `gh1 probe <text>`.

use std::fmt::Write as _;
use std::sync::Arc;

use gatherhub_domain::{EventId, UserId};

use super::{Audience, Broadcast, Kind, RealtimeEvent, Version};

const MAGIC: &str = "gh1";

pub(super) fn encode(message: &Broadcast) -> String {
    match message {
        Broadcast::Event(event) => {
            let size: usize = event.versions.iter().map(|v| v.envelope.len() + 32).sum();
            let mut out = String::with_capacity(size + 48);
            // Writing to a String cannot fail.
            let _ = writeln!(
                out,
                "{MAGIC} event {} {}",
                event.kind.as_str(),
                event.event_id
            );
            for version in &event.versions {
                match &version.audience {
                    Audience::Public => out.push('*'),
                    Audience::Users(ids) => {
                        out.push_str("u:");
                        for (i, id) in ids.iter().enumerate() {
                            if i > 0 {
                                out.push(',');
                            }
                            let _ = write!(out, "{id}");
                        }
                    }
                }
                let _ = writeln!(out, " {}", version.envelope.len());
                out.push_str(&version.envelope);
                out.push('\n');
            }
            out
        }
        Broadcast::SessionsRevoked(ids) => {
            let mut out = format!("{MAGIC} revoked\n");
            // A session id never holds a newline; one that did could not be
            // told apart from two, so it is left out rather than mangled.
            for id in ids.iter().filter(|id| !id.contains('\n')) {
                out.push_str(id);
                out.push('\n');
            }
            out
        }
        Broadcast::Probe(text) => format!("{MAGIC} probe {text}"),
    }
}

pub(super) fn decode(text: &str) -> Option<Broadcast> {
    let (head, rest) = text.split_once('\n').unwrap_or((text, ""));
    let mut words = head.splitn(3, ' ');
    if words.next()? != MAGIC {
        return None;
    }
    match words.next()? {
        "event" => {
            let mut args = words.next()?.split(' ');
            let kind = Kind::parse(args.next()?)?;
            let event_id = EventId(args.next()?.parse().ok()?);
            if args.next().is_some() {
                return None;
            }
            let versions = versions(rest)?;
            Some(Broadcast::Event(RealtimeEvent {
                kind,
                event_id,
                versions,
            }))
        }
        "revoked" if words.next().is_none() => Some(Broadcast::SessionsRevoked(
            rest.lines()
                .filter(|l| !l.is_empty())
                .map(str::to_owned)
                .collect(),
        )),
        "probe" => Some(Broadcast::Probe(words.next().unwrap_or("").to_owned())),
        _ => None,
    }
}

fn versions(mut rest: &str) -> Option<Vec<Version>> {
    let mut versions = Vec::new();
    while !rest.is_empty() {
        let (line, after) = rest.split_once('\n')?;
        let (audience, len) = line.split_once(' ')?;
        let len: usize = len.parse().ok()?;
        let envelope = after.get(..len)?;
        rest = after.get(len..)?.strip_prefix('\n')?;
        versions.push(Version {
            audience: audience_of(audience)?,
            envelope: Arc::from(envelope),
        });
    }
    Some(versions)
}

fn audience_of(text: &str) -> Option<Audience> {
    if text == "*" {
        return Some(Audience::Public);
    }
    let ids = text.strip_prefix("u:")?;
    if ids.is_empty() {
        return Some(Audience::Users(Arc::from([])));
    }
    let ids = ids
        .split(',')
        .map(|id| id.parse().ok().map(UserId))
        .collect::<Option<Vec<_>>>()?;
    Some(Audience::users(ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(versions: Vec<Version>) -> Broadcast {
        Broadcast::Event(RealtimeEvent {
            kind: Kind::VoteCast,
            event_id: EventId(7),
            versions,
        })
    }

    #[test]
    fn every_message_survives_a_round_trip() {
        let messages = [
            event(vec![
                Version {
                    audience: Audience::users([UserId(3), UserId(1)]),
                    envelope: Arc::from("{\"type\":\"vote.cast\",\"data\":\"a\\nb ü\"}"),
                },
                Version {
                    audience: Audience::Public,
                    envelope: Arc::from("{}\n{}"),
                },
            ]),
            event(vec![Version {
                audience: Audience::users([]),
                envelope: Arc::from(""),
            }]),
            event(vec![]),
            Broadcast::SessionsRevoked(vec!["a-1".into(), "b-2".into()]),
            Broadcast::SessionsRevoked(vec![]),
            Broadcast::Probe("instance 1 probe 42".into()),
        ];
        for message in messages {
            assert_eq!(decode(&encode(&message)), Some(message));
        }
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(*kind));
        }
    }

    #[test]
    fn malformed_text_is_refused() {
        let good = encode(&event(vec![Version {
            audience: Audience::Public,
            envelope: Arc::from("{\"x\":1}"),
        }]));
        assert!(decode(&good).is_some());
        for bad in [
            "",
            "gh2 event vote.cast 7\n",
            "gh1 event nope.cast 7\n",
            "gh1 event vote.cast x\n",
            "gh1 event vote.cast 7 8\n",
            "gh1 event vote.cast 7\n* 99\n{}\n",
            "gh1 event vote.cast 7\nu:1,x 2\n{}\n",
            "gh1 event vote.cast 7\n* 2\n{}",
            "gh1 unknown",
        ] {
            assert_eq!(decode(bad), None, "{bad:?}");
        }
        // A length that cuts a multi-byte character is refused, not a panic.
        assert_eq!(decode("gh1 event vote.cast 7\n* 1\nü\n"), None);
    }

    #[test]
    fn audiences_admit_their_users_and_staff() {
        let members = Audience::users([UserId(5), UserId(2), UserId(5)]);
        assert!(members.admits(Some(UserId(2)), false));
        assert!(members.admits(Some(UserId(5)), false));
        assert!(!members.admits(Some(UserId(3)), false));
        assert!(!members.admits(None, false));
        assert!(members.admits(Some(UserId(3)), true));
        assert!(Audience::Public.admits(None, false));
    }
}
