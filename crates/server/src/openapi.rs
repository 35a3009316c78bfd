//! The OpenAPI document served at `/api/schema/`, merged from each route
//! module's fragment, with the bearer security scheme.

use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::{Modify, OpenApi};

use crate::http::ErrorBody;
use crate::routes;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "GatherHub API",
        description = "Real-time community event planner: accounts, events with capacity and waitlists, tasks, polls with live results.",
        license(name = "MIT OR Apache-2.0"),
    ),
    components(schemas(ErrorBody)),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and JWT authentication"),
        (name = "events", description = "Events, membership, capacity and waitlists"),
        (name = "tasks", description = "Tasks of events"),
        (name = "voting", description = "Polls, votes and results"),
        (name = "health", description = "Liveness, readiness and status"),
    )
)]
struct BaseApi;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let mut scheme = Http::new(HttpAuthScheme::Bearer);
        scheme.bearer_format = Some("JWT".to_owned());
        components.add_security_scheme("bearer", SecurityScheme::Http(scheme));
    }
}

/// Statuses any API operation can answer, whatever the route: added to every
/// operation that does not describe them itself.
struct CommonErrors;

impl CommonErrors {
    fn response(description: &str) -> RefOr<Response> {
        let content = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        RefOr::T(
            ResponseBuilder::new()
                .description(description)
                .content("application/json", content)
                .build(),
        )
    }
}

impl Modify for CommonErrors {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (path, item) in openapi.paths.paths.iter_mut() {
            let api = path.starts_with("/api/v1/");
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                let responses = &mut operation.responses.responses;
                let mut add = |status: &str, description: &str| {
                    responses
                        .entry(status.to_owned())
                        .or_insert_with(|| Self::response(description));
                };
                if api {
                    add("429", "Rate limited (`rate_limited`, with `Retry-After`)");
                    add(
                        "503",
                        "A dependency is unavailable (`service_unavailable`, with `Retry-After`)",
                    );
                }
                add(
                    "500",
                    "Internal error (`internal_error`), never with internals",
                );
            }
        }
    }
}

/// The whole document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = BaseApi::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.merge(routes::auth::AuthApi::openapi());
    doc.merge(routes::events::EventsApi::openapi());
    doc.merge(routes::tasks::TasksApi::openapi());
    doc.merge(routes::voting::VotingApi::openapi());
    doc.merge(routes::health::HealthApi::openapi());
    // After merging, so that it reaches every route module's operations.
    CommonErrors.modify(&mut doc);
    doc
}
