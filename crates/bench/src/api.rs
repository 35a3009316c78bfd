//! The few REST calls the scenarios need, against the public API only.

use reqwest::StatusCode;
use serde_json::{Value, json};

/// A client of one server.
#[derive(Clone)]
pub struct Api {
    client: reqwest::Client,
    base: String,
}

/// The password of every user the bench registers.
pub const PASSWORD: &str = "bench-correct-horse-battery";

/// A registered user and their access token.
pub struct User {
    pub username: String,
    pub access: String,
}

impl Api {
    pub fn new(base: &str) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .build()
            .map_err(|e| format!("http client: {e}"))?;
        Ok(Self {
            client,
            base: base.to_owned(),
        })
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Result<(StatusCode, Value), String> {
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(|e| format!("{path}: {e}"))?;
        let status = response.status();
        let text = response.text().await.map_err(|e| format!("{path}: {e}"))?;
        let value = serde_json::from_str(&text).unwrap_or(Value::Null);
        Ok((status, value))
    }

    pub async fn expect(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &Value,
        token: Option<&str>,
        expected: &[StatusCode],
    ) -> Result<Value, String> {
        let (status, value) = self.call(method, path, Some(body), token).await?;
        if expected.contains(&status) {
            Ok(value)
        } else {
            Err(format!("{path}: unexpected {status}: {value}"))
        }
    }

    pub async fn ready(&self) -> Result<Value, String> {
        let (status, value) = self
            .call(reqwest::Method::GET, "/health/ready/", None, None)
            .await?;
        if status.is_success() {
            Ok(value)
        } else {
            Err(format!("/health/ready/: {status}: {value}"))
        }
    }

    pub async fn register(&self, username: &str) -> Result<User, String> {
        let body = json!({
            "username": username,
            "email": format!("{username}@bench.invalid"),
            "password": PASSWORD,
        });
        let value = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/auth/register/",
                &body,
                None,
                &[StatusCode::CREATED],
            )
            .await?;
        let access = value["access"]
            .as_str()
            .ok_or("register: no access token")?;
        Ok(User {
            username: username.to_owned(),
            access: access.to_owned(),
        })
    }

    /// A public event starting tomorrow, organised by `user`.
    pub async fn create_event(&self, user: &User) -> Result<i64, String> {
        let date = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        self.create_event_with(user, &json!({"title": "Fan-out benchmark", "date": date}))
            .await
    }

    /// An event from `body`, organised by `user`; returns its id.
    pub async fn create_event_with(&self, user: &User, body: &Value) -> Result<i64, String> {
        let value = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/events/",
                body,
                Some(&user.access),
                &[StatusCode::CREATED],
            )
            .await?;
        value["id"]
            .as_i64()
            .ok_or_else(|| "create event: no id".to_owned())
    }

    pub async fn join(&self, user: &User, event: i64) -> Result<(), String> {
        let path = format!("/api/v1/events/{event}/join/");
        self.expect(
            reqwest::Method::POST,
            &path,
            &json!({}),
            Some(&user.access),
            &[StatusCode::CREATED, StatusCode::OK],
        )
        .await
        .map(|_| ())
    }

    /// A two-option poll; returns its id and option ids.
    pub async fn create_poll(&self, user: &User, event: i64) -> Result<(i64, Vec<i64>), String> {
        self.create_poll_titled(user, event, "Benchmark poll").await
    }

    /// A two-option poll titled `title`; returns its id and option ids.
    pub async fn create_poll_titled(
        &self,
        user: &User,
        event: i64,
        title: &str,
    ) -> Result<(i64, Vec<i64>), String> {
        let body = json!({"event": event, "title": title,
            "options": [{"text": "Yes"}, {"text": "No"}]});
        let value = self
            .expect(
                reqwest::Method::POST,
                "/api/v1/voting/",
                &body,
                Some(&user.access),
                &[StatusCode::CREATED],
            )
            .await?;
        let id = value["id"].as_i64().ok_or("create poll: no id")?;
        let options = value["options"]
            .as_array()
            .map(|options| options.iter().filter_map(|o| o["id"].as_i64()).collect())
            .unwrap_or_default();
        Ok((id, options))
    }

    /// The poll's results (`GET /voting/{id}/results/`) as seen by `user`.
    pub async fn results(&self, user: &User, poll: i64) -> Result<Value, String> {
        let path = format!("/api/v1/voting/{poll}/results/");
        let (status, value) = self
            .call(reqwest::Method::GET, &path, None, Some(&user.access))
            .await?;
        if status == StatusCode::OK {
            Ok(value)
        } else {
            Err(format!("{path}: unexpected {status}: {value}"))
        }
    }

    /// A GET as `user`, returning the status and the JSON body.
    pub async fn get(&self, path: &str, user: &User) -> Result<(StatusCode, Value), String> {
        self.call(reqwest::Method::GET, path, None, Some(&user.access))
            .await
    }

    pub async fn vote(&self, user: &User, poll: i64, option: i64) -> Result<(), String> {
        let path = format!("/api/v1/voting/{poll}/vote/");
        self.expect(
            reqwest::Method::POST,
            &path,
            &json!({"option_id": option}),
            Some(&user.access),
            &[StatusCode::CREATED, StatusCode::OK],
        )
        .await
        .map(|_| ())
    }
}
