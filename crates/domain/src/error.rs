//! Validation errors, collected per field so a client can show each one where it belongs.

use std::collections::BTreeMap;

/// One field's problem, e.g. `("title", "This field is required.")`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }

    /// The conventional message for a missing required field.
    pub fn required(field: impl Into<String>) -> Self {
        Self::new(field, "This field is required.")
    }
}

/// Every field error of one request, in a stable (sorted) order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", self.summary())]
pub struct FieldErrors(BTreeMap<String, Vec<String>>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn single(field: impl Into<String>, message: impl Into<String>) -> Self {
        let mut errors = Self::new();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.entry(field.into()).or_default().push(message.into());
    }

    pub fn push(&mut self, error: ValidationError) {
        self.add(error.field, error.message);
    }

    /// Records the error of `result`, if any, and returns its value.
    pub fn check<T>(&mut self, result: Result<T, ValidationError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.push(error);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn fields(&self) -> &BTreeMap<String, Vec<String>> {
        &self.0
    }

    /// `Ok(())` when no error was recorded.
    pub fn into_result(self) -> Result<(), FieldErrors> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }

    fn summary(&self) -> String {
        self.0.keys().cloned().collect::<Vec<_>>().join(", ")
    }
}

impl From<ValidationError> for FieldErrors {
    fn from(error: ValidationError) -> Self {
        let mut errors = Self::new();
        errors.push(error);
        errors
    }
}
