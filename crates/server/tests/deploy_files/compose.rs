//! `docker/docker-compose.yml` (app, PostgreSQL 15, Redis 7) and its
//! production overrides, checked against the binary's settings.

use std::collections::{BTreeMap, BTreeSet};

use gatherhub_server::config::Environment;
use yaml_serde::Value;

use super::dockerfile::{dockerfile, env_of, final_stage};
use super::{assert_all_read, load, root, yaml};

/// Replaces `${VAR}`, `${VAR:-default}` and `${VAR:?message}` as compose
/// does, from `vars`; a required variable missing from `vars` is an error.
fn interpolate(text: &str, vars: &BTreeMap<&str, &str>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        out.push_str(&rest[..start]);
        let end = rest[start..].find('}').ok_or("unclosed ${")? + start;
        let expression = &rest[start + 2..end];
        let (name, fallback, required) = if let Some((name, default)) = expression.split_once(":-")
        {
            (name, Some(default), false)
        } else if let Some((name, _)) = expression.split_once(":?") {
            (name, None, true)
        } else {
            (expression, Some(""), false)
        };
        match (vars.get(name), fallback) {
            (Some(value), _) if !value.is_empty() => out.push_str(value),
            (_, Some(default)) => out.push_str(default),
            _ if required => return Err(format!("{name} is required")),
            _ => {}
        }
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn service<'a>(file: &'a Value, name: &str) -> &'a Value {
    let service = &file["services"][name];
    assert!(service.is_mapping(), "service {name}");
    service
}

fn environment(service: &Value) -> BTreeMap<String, String> {
    service["environment"]
        .as_mapping()
        .map(|map| {
            map.iter()
                .map(|(k, v)| {
                    let value = match v {
                        Value::String(s) => s.clone(),
                        Value::Number(n) => n.to_string(),
                        Value::Bool(b) => b.to_string(),
                        other => panic!("{k:?}: {other:?}"),
                    };
                    (k.as_str().unwrap().to_owned(), value)
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The app's environment as it runs: the image's, then each compose file's.
fn app_environment(
    files: &[&Value],
    vars: &BTreeMap<&str, &str>,
) -> Result<BTreeMap<String, String>, String> {
    let mut env = env_of(final_stage(&dockerfile()));
    for file in files {
        for (key, value) in environment(service(file, "app")) {
            env.insert(key, interpolate(&value, vars)?);
        }
    }
    Ok(env)
}

fn strings(value: &Value) -> Vec<String> {
    match value {
        Value::Sequence(items) => items
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
        Value::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

#[test]
fn compose_runs_the_app_with_postgres_15_and_redis_7() {
    let file = yaml("docker/docker-compose.yml");
    let app = service(&file, "app");
    let db = service(&file, "db");
    let redis = service(&file, "redis");
    assert!(db["image"].as_str().unwrap().starts_with("postgres:15"));
    assert!(redis["image"].as_str().unwrap().starts_with("redis:7"));

    // The build uses the Dockerfile from the repository root as context.
    let context = root()
        .join("docker")
        .join(app["build"]["context"].as_str().unwrap());
    let dockerfile = context.join(app["build"]["dockerfile"].as_str().unwrap());
    assert_eq!(
        dockerfile.canonicalize().unwrap(),
        root().join("docker/Dockerfile").canonicalize().unwrap()
    );
    assert!(
        context.join("Cargo.lock").is_file(),
        "context is the workspace"
    );

    for (name, svc) in [("app", app), ("db", db), ("redis", redis)] {
        let test = strings(&svc["healthcheck"]["test"]);
        assert!(
            test.len() >= 2 && test[0].starts_with("CMD"),
            "{name} health check: {test:?}"
        );
    }
    let probe = strings(&app["healthcheck"]["test"]);
    assert_eq!(
        probe[1..],
        ["/app/gatherhub", "healthcheck"],
        "the image's own probe"
    );
    for dependency in ["db", "redis"] {
        assert_eq!(
            app["depends_on"][dependency]["condition"].as_str(),
            Some("service_healthy"),
            "app waits for a healthy {dependency}"
        );
        assert!(
            file["services"][dependency]["ports"].is_null(),
            "{dependency} is not published"
        );
    }

    // Named volumes, declared and used.
    let declared: BTreeSet<String> = file["volumes"]
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap().to_owned())
        .collect();
    let mut used = BTreeSet::new();
    for svc in [app, db, redis] {
        for mount in strings(&svc["volumes"]) {
            let source = mount.split(':').next().unwrap().to_owned();
            assert!(declared.contains(&source), "{mount}: a named volume");
            used.insert(source);
        }
    }
    assert_eq!(used, declared, "every declared volume is used");
    assert!(
        strings(&app["volumes"])
            .iter()
            .any(|m| m.ends_with(":/app/media"))
    );

    // The environment is read by the binary, and makes it listen where the
    // published port points.
    let env = app_environment(&[&file], &BTreeMap::new()).unwrap();
    assert_all_read("docker/docker-compose.yml", environment(app).into_keys());
    let settings = load(&env).0.unwrap();
    assert_eq!(settings.database_url.backend(), "postgres");
    assert!(settings.redis_url.is_some());
    let ports = strings(&app["ports"]);
    let target: u16 = ports[0].rsplit(':').next().unwrap().parse().unwrap();
    assert_eq!(target, settings.port, "published port {ports:?}");
}

#[test]
fn compose_production_overrides_require_secrets_and_limit_resources() {
    let base = yaml("docker/docker-compose.yml");
    let prod = yaml("docker/docker-compose.prod.yml");
    let app = service(&prod, "app");
    assert_all_read(
        "docker/docker-compose.prod.yml",
        environment(app).into_keys(),
    );
    assert_eq!(environment(app)["GATHERHUB_ENV"], "production");

    // Without the secrets compose refuses to start, and with a weak key the
    // binary refuses.
    let complete = BTreeMap::from([
        (
            "SECRET_KEY",
            "0123456789abcdef0123456789abcdef0123456789abcdef",
        ),
        ("POSTGRES_PASSWORD", "pw"),
        ("ALLOWED_HOSTS", "api.example.com"),
    ]);
    for missing in ["SECRET_KEY", "POSTGRES_PASSWORD"] {
        let mut vars = complete.clone();
        vars.remove(missing);
        let error = app_environment(&[&base, &prod], &vars).expect_err(missing);
        assert!(error.contains(missing), "{error}");
    }
    let mut weak = complete.clone();
    weak.insert("SECRET_KEY", "short");
    let env = app_environment(&[&base, &prod], &weak).unwrap();
    assert!(load(&env).0.unwrap_err().contains("SECRET_KEY"));

    let env = app_environment(&[&base, &prod], &complete).unwrap();
    let settings = load(&env).0.unwrap();
    assert_eq!(settings.environment, Environment::Production);
    assert_eq!(settings.allowed_hosts, ["api.example.com"]);

    for name in ["app", "db", "redis"] {
        let svc = service(&prod, name);
        assert!(
            ["always", "unless-stopped", "on-failure"]
                .contains(&svc["restart"].as_str().unwrap_or_default()),
            "{name}: a restart policy"
        );
        let limits = &svc["deploy"]["resources"]["limits"];
        assert!(
            !limits["memory"].is_null() && !limits["cpus"].is_null(),
            "{name}: resource limits"
        );
        assert!(
            svc["ports"].is_null(),
            "{name}: the override publishes nothing"
        );
    }
}
