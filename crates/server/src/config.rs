//! Typed settings: `config/default.toml`, then the `GATHERHUB_ENV` profile,
//! then environment variables (names kept from the original Django service),
//! each overriding the one before. Secrets are wrapped so they never print.

mod profile;
mod values;

use std::fmt;
use std::time::Duration;

pub use ipnet::IpNet;
pub use profile::{Profile, SETTINGS};
pub use values::{Environment, LogFormat, RateLimit, RateLimits};

/// A secret key shorter than this is refused (HS256 wants 256 bits).
pub const MIN_SECRET_KEY_BYTES: usize = 32;

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

/// The default media directory, relative to the working directory.
pub const DEFAULT_MEDIA_ROOT: &str = "media";

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
    /// The profile in force (`GATHERHUB_ENV`).
    pub environment: Environment,
    /// `ALLOWED_HOSTS`: empty accepts any `Host`; otherwise others get 400.
    pub allowed_hosts: Vec<String>,
    /// `CORS_ALLOWED_ORIGINS`: exact browser origins allowed to call the API
    /// (and to open WebSockets).
    pub cors_allowed_origins: Vec<String>,
    /// `CSRF_TRUSTED_ORIGINS`: further origins allowed to send unsafe methods.
    pub csrf_trusted_origins: Vec<String>,
    /// `TRUSTED_PROXIES`: peers whose `X-Forwarded-For` names the client.
    pub trusted_proxies: Vec<IpNet>,
    /// `RATE_LIMIT_AUTH`, `RATE_LIMIT_API`, `RATE_LIMIT_UPLOAD`.
    pub rate_limits: RateLimits,
    /// `LOG_FORMAT`: `text` or `json`.
    pub log_format: LogFormat,
    /// `LOG_LEVEL`: the log filter when `RUST_LOG` is not set.
    pub log_level: String,
    /// `SHUTDOWN_TIMEOUT_SECONDS`: the longest wait for in-flight requests.
    pub shutdown_timeout: Duration,
    /// `SHUTDOWN_DRAIN_SECONDS`: how long to keep accepting, with readiness
    /// 503, after SIGTERM (for load balancers to notice).
    pub shutdown_drain: Duration,
    /// `REDIS_URL`: Redis carries real-time messages and presence across
    /// instances; `None` keeps both in-process (a single instance).
    pub redis_url: Option<Secret>,
    /// `REDIS_PREFIX`: namespace of every Redis key and channel, so several
    /// deployments can share one Redis.
    pub redis_prefix: String,
    /// `WS_*`: WebSocket heartbeat, queue and flood tuning.
    pub ws: crate::ws::WsSettings,
    /// `MEDIA_ROOT`: the directory uploaded media (avatars) are stored in
    /// and served from (`/media/...`).
    pub media_root: std::path::PathBuf,
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
            environment: Environment::Development,
            allowed_hosts: Vec::new(),
            cors_allowed_origins: Vec::new(),
            csrf_trusted_origins: Vec::new(),
            trusted_proxies: Vec::new(),
            rate_limits: RateLimits::default(),
            log_format: LogFormat::Text,
            log_level: "info".into(),
            shutdown_timeout: Duration::from_secs(10),
            shutdown_drain: Duration::ZERO,
            redis_url: None,
            redis_prefix: "gatherhub".into(),
            ws: crate::ws::WsSettings::default(),
            media_root: DEFAULT_MEDIA_ROOT.into(),
        }
    }
}

impl Settings {
    /// What the binary runs with: the profile files of `GATHERHUB_ENV`
    /// overridden by the process environment, validated.
    pub fn load() -> Result<Self, ConfigError> {
        Self::load_from(|key| std::env::var(key).ok())
    }

    /// [`Settings::load`] with `env` standing for the process environment.
    pub fn load_from(env: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let environment = Environment::parse(&env("GATHERHUB_ENV").unwrap_or_default())?;
        let profile = Profile::load(&profile::config_dir(&env), environment)?;
        let mut settings = Self::from_lookup(|key| env(key).or_else(|| profile.get(key)))?;
        settings.environment = environment;
        settings.validate()?;
        Ok(settings)
    }

    /// Defaults overridden by the process environment (no profile files).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|key| std::env::var(key).ok())
    }

    /// Rules across settings: a production profile needs a strong secret key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        match &self.secret_key {
            Some(key) if key.expose().len() < MIN_SECRET_KEY_BYTES => Err(ConfigError(format!(
                "SECRET_KEY is too weak ({} bytes): use at least {MIN_SECRET_KEY_BYTES} random bytes, e.g. `openssl rand -hex 32`",
                key.expose().len()
            ))),
            None if self.environment.is_production() => Err(ConfigError(format!(
                "SECRET_KEY is required with GATHERHUB_ENV={}: set at least {MIN_SECRET_KEY_BYTES} random bytes, e.g. `openssl rand -hex 32`",
                self.environment.as_str()
            ))),
            _ => Ok(()),
        }
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
        settings.read_operations(&get)?;
        settings.ws = crate::ws::WsSettings::from_lookup(&get)?;
        if let Some(url) = get("REDIS_URL").filter(|url| !url.trim().is_empty()) {
            settings.redis_url = Some(parse_redis_url(&url)?);
        }
        if let Some(prefix) = get("REDIS_PREFIX").filter(|prefix| !prefix.trim().is_empty()) {
            settings.redis_prefix = prefix.trim().to_owned();
        }
        if let Some(root) = get("MEDIA_ROOT").filter(|root| !root.trim().is_empty()) {
            settings.media_root = root.trim().into();
        }
        Ok(settings)
    }
}

impl Settings {
    /// The hardening and operations settings (§8, §9 of the contract).
    fn read_operations(
        &mut self,
        get: &impl Fn(&str) -> Option<String>,
    ) -> Result<(), ConfigError> {
        if let Some(env) = get("GATHERHUB_ENV") {
            self.environment = Environment::parse(&env)?;
        }
        if let Some(hosts) = get("ALLOWED_HOSTS") {
            self.allowed_hosts = values::parse_hosts(&hosts)?;
        }
        if let Some(origins) = get("CORS_ALLOWED_ORIGINS") {
            self.cors_allowed_origins = values::parse_origins("CORS_ALLOWED_ORIGINS", &origins)?;
        }
        if let Some(origins) = get("CSRF_TRUSTED_ORIGINS") {
            self.csrf_trusted_origins = values::parse_origins("CSRF_TRUSTED_ORIGINS", &origins)?;
        }
        if let Some(proxies) = get("TRUSTED_PROXIES") {
            self.trusted_proxies = values::parse_proxies(&proxies)?;
        }
        for (name, slot) in [
            ("RATE_LIMIT_AUTH", &mut self.rate_limits.auth),
            ("RATE_LIMIT_API", &mut self.rate_limits.api),
            ("RATE_LIMIT_UPLOAD", &mut self.rate_limits.upload),
        ] {
            if let Some(value) = get(name) {
                *slot = RateLimit::parse(name, &value)?;
            }
        }
        if let Some(format) = get("LOG_FORMAT") {
            self.log_format = LogFormat::parse(&format)?;
        }
        if let Some(level) = get("LOG_LEVEL").filter(|level| !level.trim().is_empty()) {
            self.log_level = level.trim().to_owned();
        }
        let seconds = |name: &str, value: String| {
            value.trim().parse().map(Duration::from_secs).map_err(|_| {
                ConfigError(format!("{name} must be a number of seconds, got {value:?}"))
            })
        };
        if let Some(value) = get("SHUTDOWN_TIMEOUT_SECONDS") {
            self.shutdown_timeout = seconds("SHUTDOWN_TIMEOUT_SECONDS", value)?;
        }
        if let Some(value) = get("SHUTDOWN_DRAIN_SECONDS") {
            self.shutdown_drain = seconds("SHUTDOWN_DRAIN_SECONDS", value)?;
        }
        Ok(())
    }
}

/// `redis://` (or `redis+unix://`); TLS (`rediss://`) is not built in. The
/// error never repeats the URL, which may hold a password.
fn parse_redis_url(value: &str) -> Result<Secret, ConfigError> {
    let value = value.trim();
    if value.starts_with("redis://") || value.starts_with("redis+unix://") {
        Ok(Secret::new(value))
    } else if value.starts_with("rediss://") {
        Err(ConfigError(
            "REDIS_URL: TLS (rediss://) is not supported by this build; use redis:// on a private network".into(),
        ))
    } else {
        Err(ConfigError(
            "REDIS_URL must be redis://[user:password@]host:port[/db]".into(),
        ))
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

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        |key| {
            pairs
                .iter()
                .find(|(name, _)| *name == key)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    const STRONG: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn production_needs_a_strong_secret_key() {
        let missing = Settings::load_from(env(&[("GATHERHUB_ENV", "production")])).unwrap_err();
        assert!(missing.0.contains("SECRET_KEY is required"), "{missing}");
        assert!(!missing.0.contains('\n'), "one line: {missing}");
        let weak = Settings::load_from(env(&[
            ("GATHERHUB_ENV", "render"),
            ("SECRET_KEY", "short-but-set"),
        ]))
        .unwrap_err();
        assert!(
            weak.0.contains("SECRET_KEY is too weak (13 bytes)"),
            "{weak}"
        );
        let settings = Settings::load_from(env(&[
            ("GATHERHUB_ENV", "production"),
            ("SECRET_KEY", STRONG),
        ]))
        .unwrap();
        assert_eq!(settings.environment, Environment::Production);
        assert_eq!(settings.log_format, LogFormat::Json);
        assert!(!settings.debug);
        // Development makes an ephemeral key when none is set.
        let settings = Settings::load_from(env(&[])).unwrap();
        assert!(settings.debug && settings.secret_key.is_none());
    }

    #[test]
    fn environment_variables_win_over_profile_files() {
        let settings = Settings::load_from(env(&[
            ("GATHERHUB_ENV", "render"),
            ("SECRET_KEY", STRONG),
            ("PORT", "8123"),
            ("LOG_FORMAT", "text"),
            ("RATE_LIMIT_AUTH", "3/10s"),
            ("CORS_ALLOWED_ORIGINS", "https://app.example.com"),
        ]))
        .unwrap();
        assert_eq!(settings.port, 8123);
        assert_eq!(settings.host, "0.0.0.0");
        assert_eq!(settings.log_format, LogFormat::Text);
        assert_eq!(
            settings.rate_limits.auth,
            RateLimit {
                requests: 3,
                period: Duration::from_secs(10)
            }
        );
        assert_eq!(settings.rate_limits.api, RateLimit::per_minute(100));
        assert_eq!(settings.cors_allowed_origins, ["https://app.example.com"]);
        assert!(!settings.trusted_proxies.is_empty());
        assert!(Settings::load_from(env(&[("GATHERHUB_ENV", "staging")])).is_err());
    }

    #[test]
    fn secrets_never_print_even_in_debug_output() {
        let settings = Settings::load_from(env(&[
            ("GATHERHUB_ENV", "production"),
            ("SECRET_KEY", "a-very-secret-signing-key-of-40-bytes!!"),
            (
                "DATABASE_URL",
                "postgres://app:pa55word@db.internal:5432/gatherhub",
            ),
        ]))
        .unwrap();
        for printed in [format!("{settings:?}"), format!("{settings:#?}")] {
            for secret in ["a-very-secret", "pa55word", "db.internal"] {
                assert!(!printed.contains(secret), "{secret} in {printed}");
            }
        }
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

    #[test]
    fn redis_is_optional_and_its_url_never_prints() {
        let settings = Settings::from_lookup(|_| None).unwrap();
        assert!(
            settings.redis_url.is_none(),
            "in-process real-time by default"
        );
        let env = |key: &str| match key {
            "REDIS_URL" => Some("redis://:hunter2@cache.internal:6379/0".to_owned()),
            "REDIS_PREFIX" => Some("blue".to_owned()),
            _ => None,
        };
        let settings = Settings::from_lookup(env).unwrap();
        let url = settings.redis_url.as_ref().unwrap();
        assert_eq!(url.expose(), "redis://:hunter2@cache.internal:6379/0");
        assert_eq!(settings.redis_prefix, "blue");
        assert!(!format!("{settings:?}").contains("hunter2"));
        for bad in ["http://cache:6379", "rediss://:hunter2@cache:6380"] {
            let error =
                Settings::from_lookup(|k| (k == "REDIS_URL").then(|| bad.to_owned())).unwrap_err();
            assert!(!error.0.contains("hunter2"), "{error}");
        }
    }
}
