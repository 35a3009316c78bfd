//! Typed identifiers: positive 64-bit integers that cannot be mixed up.

use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            /// The raw integer, as stored and as shown in the API.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(
    /// A user account.
    UserId
);
id_type!(
    /// An event.
    EventId
);
id_type!(
    /// A task of an event.
    TaskId
);
id_type!(
    /// A poll of an event.
    PollId
);
id_type!(
    /// One option of a poll.
    OptionId
);
