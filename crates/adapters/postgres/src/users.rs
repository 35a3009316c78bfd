//! `UserRepo`: accounts, unique by username and by email ignoring case through
//! the unique indexes on `lower(...)`, which also decide racing creations.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::Text;
use diesel_async::RunQueryDsl;
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_ports::{AvatarChange, NewUser, ProfileUpdate, RepoError, RepoResult, UserRepo};

use crate::PgStore;
use crate::models::{NewUserRow, UserRow};
use crate::schema::users;

diesel::define_sql_function! {
    /// PostgreSQL's `lower(text)`: the expression the unique indexes are on.
    #[sql_name = "lower"]
    fn lower_text(value: Text) -> Text;
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = users)]
struct ProfileChanges<'a> {
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    bio: Option<&'a str>,
    email: Option<&'a str>,
}

impl ProfileChanges<'_> {
    fn is_empty(&self) -> bool {
        self.first_name.is_none()
            && self.last_name.is_none()
            && self.bio.is_none()
            && self.email.is_none()
    }
}

#[async_trait::async_trait]
impl UserRepo for PgStore {
    async fn create(&self, user: NewUser) -> RepoResult<User> {
        self.run(async |conn| {
            let row = NewUserRow {
                username: &user.username,
                email: &user.email,
                password_hash: &user.password_hash,
                first_name: &user.first_name,
                last_name: &user.last_name,
                is_staff: user.is_staff,
                date_joined: user.date_joined,
            };
            let stored = diesel::insert_into(users::table)
                .values(row)
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await?;
            Ok(stored.into())
        })
        .await
    }

    async fn get(&self, id: UserId) -> RepoResult<Option<User>> {
        self.run(async |conn| {
            let row = users::table
                .find(id.get())
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?;
            Ok(row.map(User::from))
        })
        .await
    }

    /// A username match wins over an email match: a username may itself look
    /// like someone else's email address.
    async fn find_by_login(&self, login: &str) -> RepoResult<Option<User>> {
        self.run(async |conn| {
            let by_username = lower_text(users::username).eq(lower_text(login));
            let row = users::table
                .filter(by_username.or(lower_text(users::email).eq(lower_text(login))))
                .order(by_username.desc())
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?;
            Ok(row.map(User::from))
        })
        .await
    }

    async fn find_by_username(&self, username: &str) -> RepoResult<Option<User>> {
        self.run(async |conn| {
            let row = users::table
                .filter(lower_text(users::username).eq(lower_text(username)))
                .select(UserRow::as_select())
                .first(conn)
                .await
                .optional()?;
            Ok(row.map(User::from))
        })
        .await
    }

    async fn update_profile(&self, id: UserId, update: ProfileUpdate) -> RepoResult<User> {
        let changes = ProfileChanges {
            first_name: update.first_name.as_deref(),
            last_name: update.last_name.as_deref(),
            bio: update.bio.as_deref(),
            email: update.email.as_ref().map(|e| e.as_str()),
        };
        if changes.is_empty() {
            return self.get(id).await?.ok_or(RepoError::NotFound);
        }
        self.run(async |conn| {
            let row = diesel::update(users::table.find(id.get()))
                .set(&changes)
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await
                .optional()?;
            row.map(User::from)
                .ok_or_else(|| RepoError::NotFound.into())
        })
        .await
    }

    async fn set_password(&self, id: UserId, password_hash: &str) -> RepoResult<()> {
        self.run(async |conn| {
            let changed = diesel::update(users::table.find(id.get()))
                .set(users::password_hash.eq(password_hash))
                .execute(conn)
                .await?;
            if changed == 0 {
                return Err(RepoError::NotFound.into());
            }
            Ok(())
        })
        .await
    }

    /// The row lock taken by `FOR UPDATE` makes a concurrent call wait for
    /// this one to commit, so it reads the URL this one wrote.
    async fn set_avatar(&self, id: UserId, avatar_url: Option<&str>) -> RepoResult<AvatarChange> {
        self.transaction(async |conn| {
            let previous: Option<String> = users::table
                .find(id.get())
                .select(users::avatar_url)
                .for_update()
                .first(conn)
                .await
                .optional()?
                .ok_or(RepoError::NotFound)?;
            let row = diesel::update(users::table.find(id.get()))
                .set(users::avatar_url.eq(avatar_url))
                .returning(UserRow::as_returning())
                .get_result(conn)
                .await?;
            Ok(AvatarChange {
                user: row.into(),
                previous,
            })
        })
        .await
    }

    async fn record_login(&self, id: UserId, at: DateTime<Utc>) -> RepoResult<()> {
        self.run(async |conn| {
            let changed = diesel::update(users::table.find(id.get()))
                .set(users::last_login.eq(at))
                .execute(conn)
                .await?;
            if changed == 0 {
                return Err(RepoError::NotFound.into());
            }
            Ok(())
        })
        .await
    }
}
