//! The deployment files (`docker/Dockerfile`, `docker/docker-compose*.yml`,
//! `render.yaml`) agree with the binary: the port it listens on, the health
//! path it serves, the environment variables it reads, its name and the
//! commands it has. The Docker engine cannot run here, so this parses the
//! files and asks the binary's own code (settings loading, the CLI, the
//! OpenAPI document) instead, plus the sanity checks a Dockerfile linter makes.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test code")]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use gatherhub_server::Settings;
use yaml_serde::Value;

mod compose;
mod dockerfile;
mod render;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

pub fn yaml(path: &str) -> Value {
    yaml_serde::from_str(&read(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The binary's name, as cargo built it for these tests.
pub fn binary_name() -> String {
    Path::new(env!("CARGO_BIN_EXE_gatherhub"))
        .file_stem()
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

/// Loads settings the way the binary does, from `env` (and the profile files
/// under `config/`), recording every variable name it looks up.
pub fn load(env: &BTreeMap<String, String>) -> (Result<Settings, String>, BTreeSet<String>) {
    let asked = Mutex::new(BTreeSet::new());
    let config_dir = root().join("config").display().to_string();
    let settings = Settings::load_from(|key| {
        asked.lock().unwrap().insert(key.to_owned());
        if key == "GATHERHUB_CONFIG_DIR" {
            return Some(config_dir.clone());
        }
        env.get(key).cloned()
    })
    .map_err(|e| e.to_string());
    (settings, asked.into_inner().unwrap())
}

/// Every environment variable the binary reads for its settings, found by
/// watching it load them under each profile.
pub fn variables_read() -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for profile in ["development", "production", "render"] {
        let env = BTreeMap::from([
            ("GATHERHUB_ENV".to_owned(), profile.to_owned()),
            ("SECRET_KEY".to_owned(), "k".repeat(64)),
            ("REDIS_URL".to_owned(), "redis://redis:6379".to_owned()),
        ]);
        names.extend(load(&env).1);
    }
    names
}

pub fn assert_all_read(origin: &str, names: impl IntoIterator<Item = String>) {
    let read = variables_read();
    for name in names {
        assert!(
            read.contains(&name),
            "{origin} sets {name}, which the binary never reads (it reads {read:?})"
        );
    }
}

/// The paths of the served OpenAPI document.
pub fn documented(path: &str) -> bool {
    let doc = serde_json::to_value(gatherhub_server::openapi::document()).unwrap();
    doc["paths"][path]["get"].is_object()
}
