//! The one error type of the HTTP layer. Every error response, the framework's
//! own included, has the contract's shape:
//! `{"error", "message", "details"?, "timestamp"}`.

use std::collections::BTreeMap;
use std::fmt;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use chrono::{DateTime, SubsecRound, Utc};
use gatherhub_app::AppError;
use gatherhub_domain::FieldErrors;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": "validation_error", "message": "Invalid input.", "details": {"title": ["This field is required."]}, "timestamp": "2024-01-01T12:00:00Z"}))]
pub struct ErrorBody {
    /// A stable machine-readable code, e.g. `validation_error`, `not_found`.
    pub error: &'static str,
    /// A human-readable explanation.
    pub message: String,
    /// Field errors (`validation_error` only): field name to messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<BTreeMap<String, Vec<String>>>,
    /// `rate_limited` only: "Expected available in N seconds."
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub timestamp: DateTime<Utc>,
}

/// An error answer: status, code, message, and optional extras.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    details: Option<BTreeMap<String, Vec<String>>>,
    allow: Option<&'static str>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            allow: None,
            retry_after: None,
        }
    }

    /// 429 `rate_limited`: try again in `seconds` (also `Retry-After`).
    pub fn rate_limited(seconds: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            "Request was throttled.",
        );
        error.retry_after = Some(seconds);
        error
    }

    pub fn validation(errors: &FieldErrors) -> Self {
        let mut error = Self::new(
            StatusCode::BAD_REQUEST,
            "validation_error",
            "Invalid input.",
        );
        error.details = Some(errors.fields().clone());
        error
    }

    pub fn invalid_json(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid_json", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication credentials were not provided.",
        )
    }

    pub fn method_not_allowed(allow: &'static str) -> Self {
        let mut error = Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "Method not allowed on this resource.",
        );
        error.allow = Some(allow);
        error
    }

    pub fn payload_too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "Request body is too large (JSON bodies are limited to 64 KiB).",
        )
    }

    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Unsupported media type: send Content-Type: application/json.",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "An internal error occurred.",
        )
    }

    pub fn unavailable() -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "The service is temporarily unavailable. Please retry shortly.",
        );
        error.retry_after = Some(5);
        error
    }

    pub fn with_retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    /// The generic answer for a status the framework produced by itself.
    pub fn for_status(status: StatusCode) -> Self {
        match status.as_u16() {
            400 => Self::new(status, "validation_error", "Bad request."),
            401 => Self::unauthorized(),
            403 => Self::new(
                status,
                "forbidden",
                "You do not have permission to perform this action.",
            ),
            404 => Self::not_found("Not found."),
            405 => Self::new(
                status,
                "method_not_allowed",
                "Method not allowed on this resource.",
            ),
            413 => Self::payload_too_large(),
            415 => Self::unsupported_media_type(),
            429 => Self::new(status, "rate_limited", "Request was throttled."),
            503 => Self::unavailable(),
            409 => Self::new(status, "conflict", "Conflict."),
            _ if status.is_server_error() => Self::internal(),
            _ => Self::new(
                status,
                "validation_error",
                status.canonical_reason().unwrap_or("Error"),
            ),
        }
    }

    pub fn code(&self) -> &'static str {
        self.code
    }

    fn body(&self) -> ErrorBody {
        ErrorBody {
            error: self.code,
            message: self.message.clone(),
            details: self.details.clone(),
            // Derived, not stored: keeps `ApiError` small (clippy's
            // `result_large_err`).
            detail: (self.code == "rate_limited")
                .then_some(self.retry_after)
                .flatten()
                .map(|seconds| format!("Expected available in {seconds} seconds.")),
            // Whole seconds, as in the contract's examples.
            timestamp: Utc::now().trunc_subsecs(0),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let Some(allow) = self.allow {
            response.insert_header((header::ALLOW, HeaderValue::from_static(allow)));
        }
        if let Some(seconds) = self.retry_after {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        response.json(self.body())
    }
}

impl From<AppError> for ApiError {
    fn from(error: AppError) -> Self {
        use StatusCode as S;
        match error {
            AppError::Validation(errors) => Self::validation(&errors),
            AppError::Unauthorized => Self::unauthorized(),
            AppError::InvalidCredentials => {
                Self::new(S::UNAUTHORIZED, "invalid_credentials", error.to_string())
            }
            AppError::TokenInvalid => {
                Self::new(S::UNAUTHORIZED, "token_invalid", error.to_string())
            }
            AppError::TokenExpired => {
                Self::new(S::UNAUTHORIZED, "token_expired", error.to_string())
            }
            AppError::TokenRevoked => {
                Self::new(S::UNAUTHORIZED, "token_revoked", error.to_string())
            }
            AppError::Forbidden(message) => Self::new(S::FORBIDDEN, "forbidden", message),
            AppError::NotFound(_) => Self::not_found(error.to_string()),
            AppError::Conflict { code, message } => Self::new(S::CONFLICT, code.as_str(), message),
            AppError::Unavailable(reason) => {
                tracing::warn!(%reason, "store unavailable");
                Self::unavailable()
            }
            AppError::Internal(source) => {
                tracing::error!(error = %ErrorChain(source.as_ref()), "internal error");
                Self::internal()
            }
        }
    }
}

impl From<FieldErrors> for ApiError {
    fn from(errors: FieldErrors) -> Self {
        Self::validation(&errors)
    }
}

impl From<gatherhub_domain::ValidationError> for ApiError {
    fn from(error: gatherhub_domain::ValidationError) -> Self {
        Self::validation(&error.into())
    }
}

/// Formats an error with its whole `source()` chain, for one log line.
struct ErrorChain<'a>(&'a (dyn std::error::Error + 'static));

impl fmt::Display for ErrorChain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut source = self.0.source();
        while let Some(cause) = source {
            write!(f, ": {cause}")?;
            source = cause.source();
        }
        Ok(())
    }
}
