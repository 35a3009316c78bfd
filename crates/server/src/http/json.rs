//! `ApiJson<T>`: the JSON body extractor every route uses. It enforces the
//! contract's media type (415), the 64 KiB cap (413), and reports malformed
//! JSON as `invalid_json` and wrongly typed fields as `validation_error` with
//! the field's path, instead of actix's plain-text errors.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use gatherhub_domain::FieldErrors;
use serde::de::DeserializeOwned;

use super::ApiError;

/// The largest JSON body accepted.
pub const JSON_LIMIT: usize = 64 * 1024;

/// A JSON request body deserialized into `T`.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T> ApiJson<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let checked = check_headers(req);
        let mut payload = payload.take();
        Box::pin(async move {
            checked?;
            let mut body = BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk
                    .map_err(|_| ApiError::invalid_json("The request body could not be read."))?;
                if body.len() + chunk.len() > JSON_LIMIT {
                    return Err(ApiError::payload_too_large());
                }
                body.extend_from_slice(&chunk);
            }
            parse(&body).map(ApiJson)
        })
    }
}

/// Media type `application/json` (or any `+json` type) and a declared length
/// within the cap.
fn check_headers(req: &HttpRequest) -> Result<(), ApiError> {
    let is_json = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<mime::Mime>().ok())
        .is_some_and(|mime| {
            mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        });
    if !is_json {
        return Err(ApiError::unsupported_media_type());
    }
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok());
    if declared.is_some_and(|length| length > JSON_LIMIT) {
        return Err(ApiError::payload_too_large());
    }
    Ok(())
}

/// Parses `body`, telling syntax errors (`invalid_json`) from fields of the
/// wrong type or value (`validation_error` keyed by the field's path).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        let message = without_position(&inner);
        match inner.classify() {
            serde_json::error::Category::Data if path != "." => {
                ApiError::from(FieldErrors::single(path, message))
            }
            serde_json::error::Category::Data => ApiError::from(FieldErrors::single(
                "non_field_errors",
                format!("Invalid data: {message}."),
            )),
            _ => ApiError::invalid_json(format!("JSON parse error: {message}.")),
        }
    })?;
    deserializer.end().map_err(|error| {
        ApiError::invalid_json(format!("JSON parse error: {}.", without_position(&error)))
    })?;
    Ok(value)
}

/// serde_json's message without its " at line L column C" suffix.
fn without_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(index) => text[..index].to_owned(),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    struct Body {
        #[expect(dead_code, reason = "only deserialized")]
        title: Option<String>,
        #[expect(dead_code, reason = "only deserialized")]
        count: Option<i64>,
    }

    #[test]
    fn syntax_errors_are_invalid_json() {
        assert_eq!(
            parse::<Body>(b"{\"title\": ").unwrap_err().code(),
            "invalid_json"
        );
        assert_eq!(parse::<Body>(b"{} x").unwrap_err().code(), "invalid_json");
        assert_eq!(parse::<Body>(b"").unwrap_err().code(), "invalid_json");
    }

    #[test]
    fn wrong_types_are_field_errors() {
        let error = parse::<Body>(b"{\"count\": \"ten\"}").unwrap_err();
        assert_eq!(error.code(), "validation_error");
        assert!(format!("{error:?}").contains("count"));
        assert_eq!(
            parse::<Body>(b"[1]").unwrap_err().code(),
            "validation_error"
        );
    }

    #[test]
    fn unknown_fields_are_ignored() {
        assert!(parse::<Body>(b"{\"id\": 5, \"title\": \"x\"}").is_ok());
    }
}
