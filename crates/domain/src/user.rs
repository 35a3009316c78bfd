//! Accounts: usernames, emails, the password policy and the user records.

use chrono::{DateTime, Utc};

use crate::text::{bounded, bounded_text};
use crate::{FieldErrors, UserId, ValidationError};

/// 3–150 characters of `A-Za-z0-9@.+_-`. Uniqueness ignores case, so it is
/// compared through [`Username::key`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

impl Username {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let value = bounded("username", value, 3, 150, true)?;
        if !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "@.+_-".contains(c))
        {
            return Err(ValidationError::new(
                "username",
                "Enter a valid username. This value may contain only letters, numbers, and @/./+/-/_ characters.",
            ));
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness is checked against.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

/// A syntactically valid email address (at most 254 characters). Stored as given
/// but with the domain lower-cased; uniqueness ignores case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

impl Email {
    pub fn parse(value: &str) -> Result<Self, ValidationError> {
        let invalid = || ValidationError::new("email", "Enter a valid email address.");
        let value = value.trim();
        if value.is_empty() {
            return Err(ValidationError::new(
                "email",
                "This field may not be blank.",
            ));
        }
        if value.chars().count() > 254 {
            return Err(invalid());
        }
        let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let labels: Vec<&str> = domain.split('.').collect();
        let domain_ok = labels.len() >= 2
            && labels.iter().all(|l| {
                !l.is_empty()
                    && l.len() <= 63
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
            && labels
                .last()
                .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_alphabetic()) && tld.len() >= 2);
        if !local_ok || !domain_ok {
            return Err(invalid());
        }
        Ok(Self(format!("{local}@{}", domain.to_ascii_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded form that uniqueness is checked against.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

bounded_text!(
    /// A profile's free text: up to 2000 characters.
    Bio, "bio", 0, 2000
);

/// Password length bounds of the policy.
pub const PASSWORD_MIN: usize = 8;
pub const PASSWORD_MAX: usize = 128;

/// The password policy: 8–128 characters, not entirely numeric, not a common
/// password, not too similar to the username or email. All failures are reported
/// together under `field`.
pub fn check_password(
    field: &str,
    password: &str,
    username: &str,
    email: &str,
) -> Result<(), FieldErrors> {
    let mut errors = FieldErrors::new();
    let len = password.chars().count();
    if len < PASSWORD_MIN {
        errors.add(
            field,
            format!(
                "This password is too short. It must contain at least {PASSWORD_MIN} characters."
            ),
        );
    }
    if len > PASSWORD_MAX {
        errors.add(
            field,
            format!(
                "This password is too long. It must contain at most {PASSWORD_MAX} characters."
            ),
        );
    }
    if len > 0 && password.chars().all(|c| c.is_ascii_digit()) {
        errors.add(field, "This password is entirely numeric.");
    }
    if len <= PASSWORD_MAX && too_similar(password, username, email) {
        errors.add(
            field,
            "The password is too similar to the username or email.",
        );
    } else if len <= PASSWORD_MAX && is_common(password, username, email) {
        errors.add(field, "This password is too common.");
    }
    errors.into_result()
}

/// Similar when they share most of their characters in order (the ratio
/// Django's validator uses), or when the attribute makes up at least half of
/// the password (`alice2024!`). A short attribute inside a long passphrase is
/// fine (`other` in `another-long-passphrase`).
fn too_similar(password: &str, username: &str, email: &str) -> bool {
    let password = password.to_lowercase();
    let email_local = email.split('@').next().unwrap_or_default();
    [username, email_local, email]
        .iter()
        .map(|attribute| attribute.to_lowercase())
        .filter(|attribute| attribute.chars().count() >= 3)
        .any(|attribute| {
            let dominant = password.contains(&attribute)
                && attribute.chars().count() * 2 >= password.chars().count();
            dominant || similarity(&password, &attribute) >= 0.7
        })
}

/// Ratio of matching characters, like Python's `SequenceMatcher.ratio` on the
/// longest common subsequence: 2·lcs / (len a + len b).
fn similarity(a: &str, b: &str) -> f64 {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    if a.is_empty() && b.is_empty() {
        return 1.0;
    }
    let mut row = vec![0usize; b.len() + 1];
    for ca in &a {
        let mut prev = 0;
        for (j, cb) in b.iter().enumerate() {
            let saved = row[j + 1];
            row[j + 1] = if ca == cb {
                prev + 1
            } else {
                row[j + 1].max(row[j])
            };
            prev = saved;
        }
    }
    2.0 * row[b.len()] as f64 / (a.len() + b.len()) as f64
}

/// Common when zxcvbn (with its ranked lists of leaked passwords and words) judges
/// it guessable in fewer than 10^6 tries, i.e. a score below 2.
fn is_common(password: &str, username: &str, email: &str) -> bool {
    let entropy = zxcvbn::zxcvbn(password, &[username, email]);
    u8::from(entropy.score()) < 2
}

/// A stored account.
#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub username: String,
    pub email: String,
    pub password_hash: String,
    pub first_name: String,
    pub last_name: String,
    pub bio: String,
    pub avatar_url: Option<String>,
    pub is_staff: bool,
    pub is_active: bool,
    pub date_joined: DateTime<Utc>,
    pub last_login: Option<DateTime<Utc>>,
}

impl User {
    pub fn summary(&self) -> UserSummary {
        UserSummary {
            id: self.id,
            username: self.username.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
        }
    }
}

/// What other users may see of an account: never its email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

/// A validated registration, before the password is hashed.
#[derive(Debug, Clone)]
pub struct Registration {
    pub username: Username,
    pub email: Email,
    pub first_name: PersonName,
    pub last_name: PersonName,
}

pub use crate::text::PersonName;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert!(Username::parse("john.doe+x@y_z-1").is_ok());
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("has space").is_err());
        assert!(Username::parse(&"a".repeat(151)).is_err());
        assert_eq!(Username::parse("John").unwrap().key(), "john");
    }

    #[test]
    fn emails() {
        assert_eq!(
            Email::parse("A.B@Example.COM").unwrap().as_str(),
            "A.B@example.com"
        );
        for bad in [
            "",
            "plain",
            "@x.com",
            "a@",
            "a@b",
            "a@b.c",
            "a..b@x.com",
            "a@-x.com",
            "a b@x.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad} should be rejected");
        }
    }

    #[test]
    fn password_policy() {
        let ok = |p: &str| check_password("password", p, "alice", "alice@example.com");
        assert!(ok("correct-horse-battery").is_ok());
        assert!(ok("Tr0ub4dor&3xq").is_ok());
        assert!(ok("short1").is_err());
        assert!(ok("1234567890123").is_err());
        assert!(ok("password").is_err());
        assert!(ok("password123").is_err());
        assert!(ok("qwertyuiop").is_err());
        assert!(ok("alice2024!").is_err(), "mostly the username");
        assert!(
            check_password(
                "password",
                "another-long-passphrase",
                "otheruser",
                "other@example.com"
            )
            .is_ok(),
            "a short attribute inside a long passphrase is fine"
        );
        assert!(ok("Alicee@example").is_err(), "similar to the email");
        assert!(ok(&"x9!".repeat(43)).is_err(), "too long");
    }

    #[test]
    fn similarity_ratio() {
        assert!((similarity("abcd", "abcd") - 1.0).abs() < f64::EPSILON);
        assert!(similarity("abcd", "wxyz") < 0.01);
    }
}
