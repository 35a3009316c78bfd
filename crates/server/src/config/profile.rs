//! Configuration profiles: `config/default.toml` overlaid by
//! `config/<GATHERHUB_ENV>.toml`, both overridden by environment variables.
//!
//! A file's keys are the environment variables' names in lower case
//! (`port = 8000`, `cors_allowed_origins = ["https://app.example.com"]`), so
//! there is one vocabulary. Files are read from `GATHERHUB_CONFIG_DIR`
//! (default `./config`); a profile missing there falls back to the copy built
//! into the binary, so the binary behaves the same from any directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{ConfigError, Environment};

/// Every setting a file may name (the environment variables of README's
/// table). A key outside this list is a typo and refuses to start.
pub const SETTINGS: &[&str] = &[
    "HOST",
    "PORT",
    "DEBUG",
    "DATABASE_URL",
    "DATABASE_POOL_SIZE",
    "DATABASE_POOL_TIMEOUT_MS",
    "DATABASE_CONNECT_TIMEOUT_MS",
    "DATABASE_STATEMENT_TIMEOUT_MS",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "CORS_ALLOWED_ORIGINS",
    "CSRF_TRUSTED_ORIGINS",
    "TRUSTED_PROXIES",
    "RATE_LIMIT_ENABLED",
    "RATE_LIMIT_AUTH",
    "RATE_LIMIT_API",
    "RATE_LIMIT_UPLOAD",
    "LOG_FORMAT",
    "LOG_LEVEL",
    "SHUTDOWN_TIMEOUT_SECONDS",
    "SHUTDOWN_DRAIN_SECONDS",
    "REDIS_URL",
    "REDIS_PREFIX",
    "MEDIA_ROOT",
    "WS_PING_INTERVAL_MS",
    "WS_IDLE_TIMEOUT_MS",
    "WS_SEND_TIMEOUT_MS",
    "WS_QUEUE_SIZE",
    "WS_MESSAGE_BURST",
    "WS_MESSAGE_RATE",
];

const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../../../config/default.toml")),
    (
        "development",
        include_str!("../../../../config/development.toml"),
    ),
    (
        "production",
        include_str!("../../../../config/production.toml"),
    ),
    ("render", include_str!("../../../../config/render.toml")),
];

/// The merged values of the default file and the profile's file.
#[derive(Debug, Default)]
pub struct Profile {
    values: HashMap<String, String>,
}

impl Profile {
    /// Reads `default` then `<environment>` from `dir` (or the built-in copy).
    pub fn load(dir: &Path, environment: Environment) -> Result<Self, ConfigError> {
        let mut profile = Self::default();
        for name in ["default", environment.as_str()] {
            let (origin, text) = read(dir, name)?;
            profile.merge(&origin, &text)?;
        }
        Ok(profile)
    }

    /// The value of setting `key` (an environment variable name).
    pub fn get(&self, key: &str) -> Option<String> {
        self.values.get(key).cloned()
    }

    fn merge(&mut self, origin: &str, text: &str) -> Result<(), ConfigError> {
        let table: toml::Table = text
            .parse()
            .map_err(|error| ConfigError(format!("{origin}: {error}")))?;
        for (key, value) in table {
            let name = key.to_ascii_uppercase();
            if !SETTINGS.contains(&name.as_str()) {
                return Err(ConfigError(format!("{origin}: unknown setting {key:?}")));
            }
            let value = flatten(&value)
                .ok_or_else(|| ConfigError(format!("{origin}: {key} must be a plain value")))?;
            self.values.insert(name, value);
        }
        Ok(())
    }
}

/// The directory profiles are read from.
pub fn config_dir(get: &impl Fn(&str) -> Option<String>) -> PathBuf {
    get("GATHERHUB_CONFIG_DIR").map_or_else(|| PathBuf::from("config"), PathBuf::from)
}

fn read(dir: &Path, name: &str) -> Result<(String, String), ConfigError> {
    let path = dir.join(format!("{name}.toml"));
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok((path.display().to_string(), text)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => BUILT_IN
            .iter()
            .find(|(built_in, _)| *built_in == name)
            .map(|(_, text)| (format!("built-in {name}.toml"), (*text).to_owned()))
            .ok_or_else(|| ConfigError(format!("no configuration profile {name:?}"))),
        Err(error) => Err(ConfigError(format!("{}: {error}", path.display()))),
    }
}

/// Scalars as their text; arrays as a comma-separated list.
fn flatten(value: &toml::Value) -> Option<String> {
    match value {
        toml::Value::String(text) => Some(text.clone()),
        toml::Value::Integer(number) => Some(number.to_string()),
        toml::Value::Float(number) => Some(number.to_string()),
        toml::Value::Boolean(flag) => Some(flag.to_string()),
        toml::Value::Array(items) => items
            .iter()
            .map(|item| match item {
                toml::Value::Array(_) | toml::Value::Table(_) => None,
                other => flatten(other),
            })
            .collect::<Option<Vec<_>>>()
            .map(|items| items.join(",")),
        toml::Value::Datetime(_) | toml::Value::Table(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_profiles_parse_and_name_known_settings() {
        let nowhere = Path::new("/nonexistent-gatherhub-config");
        for environment in [
            Environment::Development,
            Environment::Production,
            Environment::Render,
        ] {
            Profile::load(nowhere, environment).unwrap();
        }
        let production = Profile::load(nowhere, Environment::Production).unwrap();
        assert_eq!(production.get("LOG_FORMAT").as_deref(), Some("json"));
        assert_eq!(production.get("DEBUG").as_deref(), Some("false"));
        let development = Profile::load(nowhere, Environment::Development).unwrap();
        assert_eq!(development.get("DEBUG").as_deref(), Some("true"));
    }

    #[test]
    fn the_readme_documents_the_settings_and_profiles() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
        // The real-time and media settings are documented by their owners.
        let documented_here = SETTINGS
            .iter()
            .filter(|name| !name.starts_with("WS_") && **name != "MEDIA_ROOT");
        for name in documented_here.chain(&["GATHERHUB_ENV", "GATHERHUB_CONFIG_DIR", "RUST_LOG"]) {
            assert!(
                readme.contains(&format!("| `{name}` |")) || readme.contains(&format!("`{name}`")),
                "{name} is not in the README"
            );
        }
        for (profile, _) in BUILT_IN {
            assert!(
                root.join("config")
                    .join(format!("{profile}.toml"))
                    .is_file()
            );
        }
    }

    #[test]
    fn files_override_in_order_and_refuse_unknown_keys() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("default.toml"), "port = 1\nhost = \"a\"\n").unwrap();
        std::fs::write(
            dir.path().join("production.toml"),
            "port = 2\nallowed_hosts = [\"x.com\", \".y.com\"]\n",
        )
        .unwrap();
        let profile = Profile::load(dir.path(), Environment::Production).unwrap();
        assert_eq!(profile.get("PORT").as_deref(), Some("2"));
        assert_eq!(profile.get("HOST").as_deref(), Some("a"));
        assert_eq!(
            profile.get("ALLOWED_HOSTS").as_deref(),
            Some("x.com,.y.com")
        );

        std::fs::write(dir.path().join("render.toml"), "prot = 3\n").unwrap();
        let error = Profile::load(dir.path(), Environment::Render).unwrap_err();
        assert!(error.0.contains("unknown setting \"prot\""), "{error}");
    }
}
