//! `UserRepo`: accounts, unique by username and by email ignoring case.

use chrono::{DateTime, Utc};
use gatherhub_domain::UserId;
use gatherhub_domain::user::User;
use gatherhub_ports::{
    AvatarChange, Conflict, NewUser, ProfileUpdate, RepoError, RepoResult, UserRepo,
};

use crate::MemoryStore;
use crate::state::{State, fold};

impl State {
    fn user_mut(&mut self, id: UserId) -> RepoResult<&mut User> {
        self.users.get_mut(&id).ok_or(RepoError::NotFound)
    }
}

#[async_trait::async_trait]
impl UserRepo for MemoryStore {
    async fn create(&self, user: NewUser) -> RepoResult<User> {
        self.write(|s| {
            let username_key = fold(&user.username);
            let email_key = fold(&user.email);
            if s.usernames.contains_key(&username_key) {
                return Err(Conflict::UsernameTaken.into());
            }
            if s.emails.contains_key(&email_key) {
                return Err(Conflict::EmailTaken.into());
            }
            let id = UserId(s.ids.user.next());
            let stored = User {
                id,
                username: user.username,
                email: user.email,
                password_hash: user.password_hash,
                first_name: user.first_name,
                last_name: user.last_name,
                bio: String::new(),
                avatar_url: None,
                is_staff: user.is_staff,
                is_active: true,
                date_joined: user.date_joined,
                last_login: None,
            };
            s.usernames.insert(username_key, id);
            s.emails.insert(email_key, id);
            s.users.insert(id, stored.clone());
            Ok(stored)
        })
    }

    async fn get(&self, id: UserId) -> RepoResult<Option<User>> {
        Ok(self.read(|s| s.users.get(&id).cloned()))
    }

    /// A username match wins over an email match: a username may itself look
    /// like an email address of someone else.
    async fn find_by_login(&self, login: &str) -> RepoResult<Option<User>> {
        let key = fold(login);
        Ok(self.read(|s| {
            s.usernames
                .get(&key)
                .or_else(|| s.emails.get(&key))
                .and_then(|id| s.users.get(id))
                .cloned()
        }))
    }

    async fn find_by_username(&self, username: &str) -> RepoResult<Option<User>> {
        let key = fold(username);
        Ok(self.read(|s| {
            s.usernames
                .get(&key)
                .and_then(|id| s.users.get(id))
                .cloned()
        }))
    }

    async fn update_profile(&self, id: UserId, update: ProfileUpdate) -> RepoResult<User> {
        self.write(|s| {
            let current_email = fold(&s.user_mut(id)?.email);
            let new_email = update
                .email
                .as_ref()
                .map(|e| (fold(e.as_str()), e.as_str().to_owned()));
            if let Some((key, _)) = &new_email
                && s.emails.get(key).is_some_and(|owner| *owner != id)
            {
                return Err(Conflict::EmailTaken.into());
            }
            if let Some((key, _)) = &new_email {
                s.emails.remove(&current_email);
                s.emails.insert(key.clone(), id);
            }
            let user = s.user_mut(id)?;
            if let Some((_, email)) = new_email {
                user.email = email;
            }
            if let Some(first_name) = update.first_name {
                user.first_name = first_name;
            }
            if let Some(last_name) = update.last_name {
                user.last_name = last_name;
            }
            if let Some(bio) = update.bio {
                user.bio = bio;
            }
            Ok(user.clone())
        })
    }

    async fn set_password(&self, id: UserId, password_hash: &str) -> RepoResult<()> {
        self.write(|s| {
            s.user_mut(id)?.password_hash = password_hash.to_owned();
            Ok(())
        })
    }

    async fn set_avatar(&self, id: UserId, avatar_url: Option<&str>) -> RepoResult<AvatarChange> {
        self.write(|s| {
            let user = s.user_mut(id)?;
            let previous = std::mem::replace(&mut user.avatar_url, avatar_url.map(str::to_owned));
            Ok(AvatarChange {
                user: user.clone(),
                previous,
            })
        })
    }

    async fn record_login(&self, id: UserId, at: DateTime<Utc>) -> RepoResult<()> {
        self.write(|s| {
            s.user_mut(id)?.last_login = Some(at);
            Ok(())
        })
    }
}
