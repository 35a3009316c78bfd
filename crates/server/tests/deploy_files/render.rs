//! `render.yaml`: the Render Blueprint's web service, PostgreSQL and Key
//! Value wired through the environment the binary reads.

use std::collections::BTreeMap;

use clap::Parser;
use gatherhub_server::cli::Cli;

use super::{assert_all_read, binary_name, documented, load, yaml};

#[test]
fn render_blueprint_wires_the_services_through_the_environment() {
    let blueprint = yaml("render.yaml");
    let services = blueprint["services"].as_sequence().unwrap();
    let web = services
        .iter()
        .find(|s| s["type"] == "web")
        .expect("a web service");
    let name = binary_name();
    let build = web["buildCommand"].as_str().unwrap();
    assert!(
        build.contains("cargo build --release") && build.contains(&format!("--bin {name}")),
        "{build}"
    );
    let start: Vec<&str> = web["startCommand"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect();
    assert_eq!(start[0], format!("./target/release/{name}"));
    Cli::try_parse_from(std::iter::once(name.as_str()).chain(start[1..].iter().copied()))
        .unwrap_or_else(|e| panic!("startCommand {start:?}: {e}"));
    let health = web["healthCheckPath"].as_str().unwrap();
    assert_eq!(health, "/health/");
    assert!(documented(health), "{health} is served");

    let vars = web["envVars"].as_sequence().unwrap();
    let var = |key: &str| {
        vars.iter()
            .find(|v| v["key"] == key)
            .unwrap_or_else(|| panic!("envVars {key}"))
    };
    assert_all_read(
        "render.yaml",
        vars.iter().map(|v| v["key"].as_str().unwrap().to_owned()),
    );
    assert_eq!(var("GATHERHUB_ENV")["value"], "render");
    assert_eq!(var("SECRET_KEY")["generateValue"], true);
    let database = &var("DATABASE_URL")["fromDatabase"];
    assert_eq!(database["property"], "connectionString");
    let databases = blueprint["databases"].as_sequence().unwrap();
    let db = databases
        .iter()
        .find(|d| d["name"] == database["name"])
        .expect("the named database");
    assert_eq!(db["postgresMajorVersion"].as_str(), Some("15"));
    let redis = &var("REDIS_URL")["fromService"];
    assert_eq!(redis["type"], "keyvalue");
    assert_eq!(redis["property"], "connectionString");
    assert!(
        services
            .iter()
            .any(|s| s["type"] == "keyvalue" && s["name"] == redis["name"]),
        "the named Key Value service"
    );
    if let Some(mount) = web["disk"]["mountPath"].as_str() {
        let media = var("MEDIA_ROOT")["value"].as_str().unwrap();
        assert!(
            media.starts_with(mount),
            "MEDIA_ROOT {media} is on the disk {mount}"
        );
    }

    // What the binary makes of it, with the values Render fills in (it sets
    // PORT itself, 10000 by default).
    let mut env: BTreeMap<String, String> = vars
        .iter()
        .filter_map(|v| {
            Some((
                v["key"].as_str()?.to_owned(),
                v["value"].as_str()?.to_owned(),
            ))
        })
        .collect();
    env.insert(
        "DATABASE_URL".into(),
        "postgresql://gatherhub:pw@dpg-example-a/gatherhub".into(),
    );
    env.insert("REDIS_URL".into(), "redis://red-example:6379".into());
    env.insert(
        "SECRET_KEY".into(),
        "b64GeneratedByRender0123456789abcdefghijklm=".into(),
    );
    let settings = load(&env).0.unwrap();
    assert_eq!(settings.environment.as_str(), "render");
    assert_eq!(settings.host, "0.0.0.0");
    assert_eq!(settings.port, 10_000, "Render's default PORT");
    env.insert("PORT".into(), "10000".into());
    assert_eq!(load(&env).0.unwrap().port, 10_000);
}
