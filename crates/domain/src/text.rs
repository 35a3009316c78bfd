//! Length-bounded text values shared by several entities.

use crate::ValidationError;

/// Checks the length of `value` in characters (not bytes) and returns it trimmed
/// of surrounding whitespace when `trim` is set.
pub fn bounded(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    trim: bool,
) -> Result<String, ValidationError> {
    let value = if trim { value.trim() } else { value };
    let len = value.chars().count();
    if len < min {
        return Err(if min == 1 && len == 0 {
            ValidationError::new(field, "This field may not be blank.")
        } else {
            ValidationError::new(
                field,
                format!("Ensure this field has at least {min} characters."),
            )
        });
    }
    if len > max {
        return Err(ValidationError::new(
            field,
            format!("Ensure this field has no more than {max} characters."),
        ));
    }
    Ok(value.to_owned())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $field:literal, $min:expr, $max:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub struct $name(String);

        impl $name {
            pub const MAX: usize = $max;

            /// Trims surrounding whitespace, then checks the length in characters.
            pub fn parse(value: &str) -> Result<Self, $crate::ValidationError> {
                $crate::text::bounded($field, value, $min, $max, true).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}
pub(crate) use bounded_text;

bounded_text!(
    /// A first or last name: up to 150 characters, may be empty.
    PersonName, "name", 0, 150
);

impl PersonName {
    /// As [`PersonName::parse`], reporting errors under `field`.
    pub fn parse_field(field: &str, value: &str) -> Result<Self, ValidationError> {
        bounded(field, value, 0, 150, true).map(Self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_characters_not_bytes() {
        assert!(bounded("t", "ééé", 1, 3, true).is_ok());
        assert!(bounded("t", "éééé", 1, 3, true).is_err());
    }

    #[test]
    fn blank_is_reported_as_blank() {
        let err = bounded("title", "   ", 1, 10, true).unwrap_err();
        assert_eq!(err.message, "This field may not be blank.");
    }
}
