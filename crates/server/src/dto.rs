//! Response shapes shared by several resources.

use gatherhub_domain::user::UserSummary;
use serde::Serialize;
use utoipa::ToSchema;

/// What anyone may see of a user: never their email.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UserSummaryDto {
    pub id: i64,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
}

impl From<UserSummary> for UserSummaryDto {
    fn from(user: UserSummary) -> Self {
        Self {
            id: user.id.get(),
            username: user.username,
            first_name: user.first_name,
            last_name: user.last_name,
        }
    }
}
