//! `UserRepo`: accounts, unique by username and by email ignoring case (the
//! unique indexes on `lower(...)` back the checks made in the transaction).

use chrono::{DateTime, Utc};
use diesel::dsl::exists;
use diesel::prelude::*;
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_ports::{
    AvatarChange, Conflict, NewUser, ProfileUpdate, RepoError, RepoResult, UserRepo,
};

use crate::SqliteStore;
use crate::error::{Fail, Tx};
use crate::rows::UserRow;
use crate::schema::users;
use crate::sql::{lower, micros};

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUserRow {
    username: String,
    email: String,
    password_hash: String,
    first_name: String,
    last_name: String,
    is_staff: bool,
    date_joined: i64,
}

/// `None` fields keep their value.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct ProfileChanges {
    first_name: Option<String>,
    last_name: Option<String>,
    bio: Option<String>,
    email: Option<String>,
}

fn user_by_id(conn: &mut SqliteConnection, id: UserId) -> Tx<Option<User>> {
    users::table
        .find(id.get())
        .select(UserRow::as_select())
        .get_result(conn)
        .optional()?
        .map(UserRow::into_user)
        .transpose()
}

fn username_taken(conn: &mut SqliteConnection, username: &str) -> Tx<bool> {
    let query = users::table.filter(lower(users::username).eq(lower(username)));
    Ok(diesel::select(exists(query)).get_result(conn)?)
}

/// Whether a user other than `except` has this email, ignoring case.
fn email_taken(conn: &mut SqliteConnection, email: &str, except: Option<UserId>) -> Tx<bool> {
    let query = users::table
        .filter(lower(users::email).eq(lower(email)))
        .filter(users::id.ne(except.map_or(0, UserId::get)));
    Ok(diesel::select(exists(query)).get_result(conn)?)
}

#[async_trait::async_trait]
impl UserRepo for SqliteStore {
    /// The username is checked before the email, as the in-memory store does.
    async fn create(&self, user: NewUser) -> RepoResult<User> {
        self.db
            .write(move |conn| {
                if username_taken(conn, &user.username)? {
                    return Err(Conflict::UsernameTaken.into());
                }
                if email_taken(conn, &user.email, None)? {
                    return Err(Conflict::EmailTaken.into());
                }
                let row = NewUserRow {
                    username: user.username,
                    email: user.email,
                    password_hash: user.password_hash,
                    first_name: user.first_name,
                    last_name: user.last_name,
                    is_staff: user.is_staff,
                    date_joined: micros(user.date_joined),
                };
                diesel::insert_into(users::table)
                    .values(row)
                    .returning(UserRow::as_returning())
                    .get_result(conn)?
                    .into_user()
            })
            .await
    }

    async fn get(&self, id: UserId) -> RepoResult<Option<User>> {
        self.db.read(move |conn| user_by_id(conn, id)).await
    }

    /// A username match wins over an email match: a username may look like
    /// someone else's email address.
    async fn find_by_login(&self, login: &str) -> RepoResult<Option<User>> {
        let login = login.to_owned();
        self.db
            .read(move |conn| {
                let by_username = lower(users::username).eq(lower(login.clone()));
                users::table
                    .filter(
                        by_username
                            .clone()
                            .or(lower(users::email).eq(lower(login.clone()))),
                    )
                    .order(by_username.desc())
                    .select(UserRow::as_select())
                    .get_result(conn)
                    .optional()?
                    .map(UserRow::into_user)
                    .transpose()
            })
            .await
    }

    async fn find_by_username(&self, username: &str) -> RepoResult<Option<User>> {
        let username = username.to_owned();
        self.db
            .read(move |conn| {
                users::table
                    .filter(lower(users::username).eq(lower(username)))
                    .select(UserRow::as_select())
                    .get_result(conn)
                    .optional()?
                    .map(UserRow::into_user)
                    .transpose()
            })
            .await
    }

    async fn update_profile(&self, id: UserId, update: ProfileUpdate) -> RepoResult<User> {
        self.db
            .write(move |conn| {
                let current = user_by_id(conn, id)?.ok_or(RepoError::NotFound)?;
                if let Some(email) = &update.email
                    && email_taken(conn, email.as_str(), Some(id))?
                {
                    return Err(Conflict::EmailTaken.into());
                }
                let changes = ProfileChanges {
                    first_name: update.first_name,
                    last_name: update.last_name,
                    bio: update.bio,
                    email: update.email.map(|e| e.as_str().to_owned()),
                };
                if changes.first_name.is_none()
                    && changes.last_name.is_none()
                    && changes.bio.is_none()
                    && changes.email.is_none()
                {
                    // An empty SET clause is an error in SQL.
                    return Ok(current);
                }
                diesel::update(users::table.find(id.get()))
                    .set(changes)
                    .returning(UserRow::as_returning())
                    .get_result(conn)?
                    .into_user()
            })
            .await
    }

    async fn set_password(&self, id: UserId, password_hash: &str) -> RepoResult<()> {
        let hash = password_hash.to_owned();
        self.db
            .write(move |conn| {
                let changed = diesel::update(users::table.find(id.get()))
                    .set(users::password_hash.eq(hash))
                    .execute(conn)?;
                found(changed)
            })
            .await
    }

    /// The single writer's `BEGIN IMMEDIATE` makes the read of the old URL
    /// and the update one step.
    async fn set_avatar(&self, id: UserId, avatar_url: Option<&str>) -> RepoResult<AvatarChange> {
        let avatar_url = avatar_url.map(str::to_owned);
        self.db
            .write(move |conn| {
                let previous = user_by_id(conn, id)?.ok_or(RepoError::NotFound)?.avatar_url;
                let user = diesel::update(users::table.find(id.get()))
                    .set(users::avatar_url.eq(avatar_url))
                    .returning(UserRow::as_returning())
                    .get_result(conn)?
                    .into_user()?;
                Ok(AvatarChange { user, previous })
            })
            .await
    }

    async fn record_login(&self, id: UserId, at: DateTime<Utc>) -> RepoResult<()> {
        self.db
            .write(move |conn| {
                let changed = diesel::update(users::table.find(id.get()))
                    .set(users::last_login.eq(Some(micros(at))))
                    .execute(conn)?;
                found(changed)
            })
            .await
    }
}

/// `NotFound` when an update or delete touched no row.
pub(crate) fn found(rows: usize) -> Tx<()> {
    if rows == 0 {
        Err(Fail::Repo(RepoError::NotFound))
    } else {
        Ok(())
    }
}
