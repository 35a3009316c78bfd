//! Typed settings, read from the environment (names kept from the original
//! Django service). Secrets are wrapped so they never print.

use std::fmt;
use std::time::Duration;

/// A secret value: its `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([redacted])")
    }
}

/// Which storage adapter serves the repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `memory://`: nothing survives the process.
    Memory,
    /// `sqlite://path`: the embedded default; the whole URL is kept.
    Sqlite(String),
    /// `postgres://...`: a secret (it may hold a password).
    Postgres(Secret),
}

/// The default storage: an SQLite file in the working directory.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://gatherhub.db";

impl DatabaseUrl {
    pub fn parse(value: &str) -> Result<Self, ConfigError> {
        let value = value.trim();
        if value == "memory://" || value == "memory" {
            Ok(Self::Memory)
        } else if value.starts_with("sqlite:") {
            Ok(Self::Sqlite(value.to_owned()))
        } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(Self::Postgres(Secret::new(value)))
        } else {
            Err(ConfigError(
                "DATABASE_URL must be postgres://..., sqlite://<path> or memory://".into(),
            ))
        }
    }

    pub fn backend(&self) -> &'static str {
        match self {
            Self::Memory => "memory",
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub String);

/// PostgreSQL pool limits (`DATABASE_POOL_SIZE`, `DATABASE_POOL_TIMEOUT_MS`,
/// `DATABASE_CONNECT_TIMEOUT_MS`, `DATABASE_STATEMENT_TIMEOUT_MS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    pub max_size: usize,
    pub wait_timeout: Duration,
    pub connect_timeout: Duration,
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_size: 16,
            wait_timeout: Duration::from_secs(2),
            connect_timeout: Duration::from_secs(3),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub host: String,
    pub port: u16,
    pub debug: bool,
    pub database_url: DatabaseUrl,
    pub pool: PoolSettings,
    /// Apply pending migrations when serving (`serve --no-migrate` turns it off).
    pub migrate_on_start: bool,
    /// `None`: development makes an ephemeral key at startup.
    pub secret_key: Option<Secret>,
    pub rate_limit_enabled: bool,
    /// Argon2id memory cost in KiB (OWASP minimum 19456).
    pub argon2_memory_kib: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".into(),
            port: 8000,
            debug: false,
            database_url: DatabaseUrl::Sqlite(DEFAULT_DATABASE_URL.to_owned()),
            pool: PoolSettings::default(),
            migrate_on_start: true,
            secret_key: None,
            rate_limit_enabled: true,
            argon2_memory_kib: 19_456,
        }
    }
}

impl Settings {
    /// Defaults overridden by the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut settings = Self::default();
        if let Some(host) = get("HOST") {
            settings.host = host;
        }
        if let Some(port) = get("PORT") {
            settings.port = port
                .trim()
                .parse()
                .map_err(|_| ConfigError(format!("PORT must be a port number, got {port:?}")))?;
        }
        if let Some(debug) = get("DEBUG") {
            settings.debug = parse_bool("DEBUG", &debug)?;
        }
        if let Some(url) = get("DATABASE_URL") {
            settings.database_url = DatabaseUrl::parse(&url)?;
        }
        let millis = |name: &str, value: String| {
            value
                .trim()
                .parse::<u64>()
                .map(Duration::from_millis)
                .map_err(|_| {
                    ConfigError(format!(
                        "{name} must be a number of milliseconds, got {value:?}"
                    ))
                })
        };
        if let Some(size) = get("DATABASE_POOL_SIZE") {
            settings.pool.max_size = size
                .trim()
                .parse()
                .ok()
                .filter(|size| *size > 0)
                .ok_or_else(|| {
                    ConfigError(format!(
                        "DATABASE_POOL_SIZE must be a positive number, got {size:?}"
                    ))
                })?;
        }
        if let Some(value) = get("DATABASE_POOL_TIMEOUT_MS") {
            settings.pool.wait_timeout = millis("DATABASE_POOL_TIMEOUT_MS", value)?;
        }
        if let Some(value) = get("DATABASE_CONNECT_TIMEOUT_MS") {
            settings.pool.connect_timeout = millis("DATABASE_CONNECT_TIMEOUT_MS", value)?;
        }
        if let Some(value) = get("DATABASE_STATEMENT_TIMEOUT_MS") {
            settings.pool.statement_timeout = millis("DATABASE_STATEMENT_TIMEOUT_MS", value)?;
        }
        if let Some(key) = get("SECRET_KEY").filter(|key| !key.is_empty()) {
            settings.secret_key = Some(Secret::new(key));
        }
        if let Some(enabled) = get("RATE_LIMIT_ENABLED") {
            settings.rate_limit_enabled = parse_bool("RATE_LIMIT_ENABLED", &enabled)?;
        }
        Ok(settings)
    }
}

fn parse_bool(name: &str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(ConfigError(format!(
            "{name} must be true or false, got {other:?}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_environment() {
        let env = |key: &str| match key {
            "PORT" => Some("9000".to_owned()),
            "DATABASE_URL" => Some("postgres://u:hunter2@db/x".to_owned()),
            "SECRET_KEY" => Some("s3cr3t-key".to_owned()),
            "RATE_LIMIT_ENABLED" => Some("false".to_owned()),
            _ => None,
        };
        let settings = Settings::from_lookup(env).unwrap();
        assert_eq!(settings.port, 9000);
        assert!(!settings.rate_limit_enabled);
        assert_eq!(settings.database_url.backend(), "postgres");
        let printed = format!("{settings:?}");
        assert!(
            !printed.contains("hunter2") && !printed.contains("s3cr3t"),
            "{printed}"
        );
    }

    #[test]
    fn rejects_bad_values() {
        assert!(Settings::from_lookup(|k| (k == "PORT").then(|| "eighty".to_owned())).is_err());
        assert!(
            Settings::from_lookup(|k| (k == "DATABASE_URL").then(|| "mysql://x".to_owned()))
                .is_err()
        );
        assert!(Settings::from_lookup(|k| (k == "DEBUG").then(|| "maybe".to_owned())).is_err());
        assert!(
            Settings::from_lookup(|k| (k == "DATABASE_POOL_SIZE").then(|| "0".to_owned())).is_err()
        );
        assert!(
            Settings::from_lookup(|k| (k == "DATABASE_POOL_TIMEOUT_MS").then(|| "soon".to_owned()))
                .is_err()
        );
    }

    #[test]
    fn defaults_to_an_sqlite_file() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        assert_eq!(
            settings.database_url,
            DatabaseUrl::Sqlite("sqlite://gatherhub.db".into())
        );
        assert_eq!((settings.host.as_str(), settings.port), ("127.0.0.1", 8000));
        assert!(settings.migrate_on_start);
    }
}
