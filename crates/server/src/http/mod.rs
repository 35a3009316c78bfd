//! HTTP plumbing shared by every route: the contract's error shape, JSON and
//! query extraction, authentication extractors, pagination, and middleware.

pub mod auth;
pub mod client_ip;
pub mod error;
pub mod json;
pub mod middleware;
pub mod nullable;
pub mod ops;
pub mod pagination;
pub mod rate_limit;
pub mod security;

pub use auth::{AuthUser, MaybeUser};
pub use error::{ApiError, ErrorBody};
pub use json::ApiJson;
pub use pagination::{PageQuery, Paginated};

use actix_web::{Route, web};

/// The route a resource answers for methods it does not serve: 405
/// `method_not_allowed` with an `Allow` header listing `allow`.
pub fn method_not_allowed(allow: &'static str) -> Route {
    web::route().to(move || async move {
        Err::<actix_web::HttpResponse, _>(ApiError::method_not_allowed(allow))
    })
}
