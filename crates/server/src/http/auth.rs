//! Bearer-token extractors. `AuthUser` requires a valid access token;
//! `MaybeUser` allows anonymous callers. Both answer 401 for any token that is
//! present but invalid, expired or revoked: never a silent fall-back to
//! anonymous.

use std::future::Future;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use gatherhub_app::auth::Principal;
use gatherhub_app::{Actor, App, AppError};

use super::ApiError;

/// The authenticated caller of a protected route.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Principal);

impl AuthUser {
    pub fn actor(&self) -> &Actor {
        &self.0.actor
    }
}

/// The caller of a route that anonymous users may call too.
#[derive(Debug, Clone)]
pub struct MaybeUser(pub Option<Principal>);

impl MaybeUser {
    pub fn actor(&self) -> Option<&Actor> {
        self.0.as_ref().map(|principal| &principal.actor)
    }
}

/// What the `Authorization` header holds.
enum Credentials {
    None,
    Bearer(String),
    Malformed,
}

fn credentials(req: &HttpRequest) -> Credentials {
    let Some(value) = req.headers().get(AUTHORIZATION) else {
        return Credentials::None;
    };
    let Ok(value) = value.to_str() else {
        return Credentials::Malformed;
    };
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Credentials::Bearer(token.trim().to_owned())
        }
        _ => Credentials::Malformed,
    }
}

/// Resolves the request's bearer token, if any, to a principal.
pub async fn authenticate(app: &App, token: &str) -> Result<Principal, ApiError> {
    app.auth.authenticate(token).await.map_err(ApiError::from)
}

fn app_of(req: &HttpRequest) -> Result<web::Data<App>, ApiError> {
    req.app_data::<web::Data<App>>().cloned().ok_or_else(|| {
        tracing::error!("App data is not registered");
        ApiError::internal()
    })
}

type Extracted<T> = Pin<Box<dyn Future<Output = Result<T, ApiError>>>>;

impl FromRequest for MaybeUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let credentials = credentials(req);
        let app = app_of(req);
        Box::pin(async move {
            match credentials {
                Credentials::None => Ok(Self(None)),
                Credentials::Malformed => Err(AppError::TokenInvalid.into()),
                Credentials::Bearer(token) => {
                    let app = app?;
                    Ok(Self(Some(authenticate(&app, &token).await?)))
                }
            }
        })
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Extracted<Self>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let maybe = MaybeUser::from_request(req, payload);
        Box::pin(async move {
            match maybe.await? {
                MaybeUser(Some(principal)) => Ok(Self(principal)),
                MaybeUser(None) => Err(ApiError::unauthorized()),
            }
        })
    }
}
