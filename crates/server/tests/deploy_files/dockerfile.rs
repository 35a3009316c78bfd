//! `docker/Dockerfile`: multi-stage, non-root, with a health check, and in
//! agreement with the binary's name, commands, port and environment.

use std::collections::BTreeMap;
use std::path::Path;

use clap::Parser;
use gatherhub_server::Settings;
use gatherhub_server::cli::Cli;
use gatherhub_server::config::Environment;

use super::{assert_all_read, binary_name, documented, load, read};

/// One Dockerfile instruction, continuation lines joined.
#[derive(Debug)]
pub struct Instruction {
    pub keyword: String,
    pub args: String,
}

pub fn dockerfile() -> Vec<Instruction> {
    let mut instructions = Vec::new();
    let mut current = String::new();
    for line in read("docker/Dockerfile").lines() {
        let line = line.trim();
        if current.is_empty() && (line.is_empty() || line.starts_with('#')) {
            continue;
        }
        if let Some(partial) = line.strip_suffix('\\') {
            current.push_str(partial);
            current.push(' ');
            continue;
        }
        if !line.starts_with('#') {
            current.push_str(line);
        }
        let (keyword, args) = current.trim().split_once(char::is_whitespace).unwrap();
        instructions.push(Instruction {
            keyword: keyword.to_ascii_uppercase(),
            args: args.trim().to_owned(),
        });
        current.clear();
    }
    instructions
}

/// The instructions of the last stage (the image that ships).
pub fn final_stage(all: &[Instruction]) -> &[Instruction] {
    let start = all.iter().rposition(|i| i.keyword == "FROM").unwrap();
    &all[start..]
}

/// `KEY=value` pairs of the `ENV` instructions.
pub fn env_of(stage: &[Instruction]) -> BTreeMap<String, String> {
    stage
        .iter()
        .filter(|i| i.keyword == "ENV")
        .flat_map(|i| {
            i.args
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .map(|pair| {
            let (key, value) = pair.split_once('=').expect("ENV KEY=value form");
            (key.to_owned(), value.trim_matches('"').to_owned())
        })
        .collect()
}

pub fn exec_form(args: &str) -> Vec<String> {
    serde_json::from_str(args).unwrap_or_else(|_| panic!("exec (JSON) form expected: {args}"))
}

#[test]
fn dockerfile_is_multi_stage_with_a_small_non_root_runtime() {
    let all = dockerfile();
    let froms: Vec<&Instruction> = all.iter().filter(|i| i.keyword == "FROM").collect();
    assert!(froms.len() >= 2, "multi-stage: {froms:?}");
    let runtime = final_stage(&all);
    let base = &runtime[0].args;
    assert!(
        base.contains("distroless") || base.contains("slim") || base.contains("alpine"),
        "a small runtime image: {base}"
    );
    assert!(
        !base.contains("rust:"),
        "the toolchain does not ship: {base}"
    );
    assert!(
        runtime
            .iter()
            .any(|i| i.keyword == "COPY" && i.args.contains("--from=builder")),
        "the runtime copies the build output"
    );
    let builder = froms
        .iter()
        .find(|f| f.args.ends_with("AS builder"))
        .expect("a builder stage");
    assert!(
        all.iter()
            .any(|i| i.keyword == "RUN" && i.args.contains("cargo chef cook")),
        "dependencies are built in their own cached layer"
    );
    assert!(builder.args.contains("AS builder"));

    let users: Vec<&Instruction> = runtime.iter().filter(|i| i.keyword == "USER").collect();
    let user = &users.last().expect("USER in the runtime stage").args;
    let name = user.split(':').next().unwrap();
    assert!(!["root", "0", ""].contains(&name), "non-root USER: {user}");
    // Files the server writes must belong to that user.
    for path in ["/app/data", "/app/media"] {
        assert!(
            runtime.iter().any(|i| i.keyword == "COPY"
                && i.args.contains(&format!("--chown={user}"))
                && i.args.ends_with(path)),
            "{path} is owned by {user}"
        );
    }
    for keyword in ["ADD", "MAINTAINER"] {
        assert!(!all.iter().any(|i| i.keyword == keyword), "no {keyword}");
    }
    for from in &froms {
        assert!(
            !from.args.contains(":latest"),
            "pinned base images: {}",
            from.args
        );
    }
}

#[test]
fn dockerfile_builds_and_runs_the_binary_with_its_commands() {
    let all = dockerfile();
    let runtime = final_stage(&all);
    let name = binary_name();
    assert!(
        all.iter().any(|i| i.keyword == "RUN"
            && i.args.contains("cargo build --release --locked")
            && i.args.contains(&format!("--bin {name}"))),
        "the builder builds the {name} binary"
    );
    let entrypoint = runtime
        .iter()
        .rfind(|i| i.keyword == "ENTRYPOINT")
        .expect("ENTRYPOINT");
    let entrypoint = exec_form(&entrypoint.args);
    assert_eq!(entrypoint.len(), 1);
    let program = &entrypoint[0];
    assert!(program.ends_with(&format!("/{name}")), "{program}");
    assert!(
        runtime
            .iter()
            .any(|i| i.keyword == "COPY" && i.args.ends_with(program.as_str())),
        "{program} is copied into the image"
    );
    let cmd = exec_form(
        &runtime
            .iter()
            .rfind(|i| i.keyword == "CMD")
            .expect("CMD")
            .args,
    );
    Cli::try_parse_from(std::iter::once(name.clone()).chain(cmd.clone()))
        .unwrap_or_else(|e| panic!("CMD {cmd:?} is not a command of {name}: {e}"));

    let healthcheck = runtime
        .iter()
        .rfind(|i| i.keyword == "HEALTHCHECK")
        .expect("HEALTHCHECK");
    let probe = healthcheck
        .args
        .split_once("CMD")
        .expect("HEALTHCHECK ... CMD")
        .1
        .trim();
    let probe = exec_form(probe);
    assert_eq!(
        &probe[0], program,
        "the health check runs the binary itself"
    );
    Cli::try_parse_from(probe.iter().map(|arg| {
        if arg == program {
            name.clone()
        } else {
            arg.clone()
        }
    }))
    .unwrap_or_else(|e| panic!("HEALTHCHECK {probe:?} is not a command: {e}"));
    assert_eq!(probe[1..], ["healthcheck"]);
    assert!(
        documented(gatherhub_server::probe::LIVE_PATH),
        "the probed path is served"
    );
}

#[test]
fn dockerfile_environment_and_port_agree_with_the_binary() {
    let all = dockerfile();
    let runtime = final_stage(&all);
    let mut env = env_of(runtime);
    assert_all_read("docker/Dockerfile", env.keys().cloned());
    assert_eq!(env.get("HOST").map(String::as_str), Some("0.0.0.0"));
    // What the binary makes of the image's environment (with the secret a
    // deployment must add).
    assert_eq!(
        env.get("SECRET_KEY"),
        None,
        "no secret baked into the image"
    );
    let (refused, _) = load(&env);
    let refused = refused.expect_err("the production image needs a SECRET_KEY");
    assert!(refused.contains("SECRET_KEY"), "{refused}");
    env.insert("SECRET_KEY".into(), "k".repeat(64));
    let settings = load(&env).0.unwrap();
    assert_eq!(settings.environment, Environment::Production);
    assert_eq!(settings.host, "0.0.0.0");
    let exposed: Vec<u16> = runtime
        .iter()
        .filter(|i| i.keyword == "EXPOSE")
        .flat_map(|i| {
            i.args
                .split_whitespace()
                .map(|p| p.trim_end_matches("/tcp").parse().unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        exposed,
        [settings.port],
        "EXPOSE is the port the binary listens on"
    );
    assert_eq!(
        settings.port,
        Settings::default().port,
        "the documented default"
    );
    assert_eq!(settings.media_root, Path::new("/app/media"));

    // The toolchain is at least the workspace's minimum.
    let manifest: toml::Table = read("Cargo.toml").parse().unwrap();
    let minimum = manifest["workspace"]["package"]["rust-version"]
        .as_str()
        .unwrap();
    let arg = all
        .iter()
        .find(|i| i.keyword == "ARG" && i.args.starts_with("RUST_VERSION="))
        .expect("ARG RUST_VERSION");
    let version = arg.args.trim_start_matches("RUST_VERSION=");
    let parse = |v: &str| {
        v.split('.')
            .map(|n| n.parse::<u32>().unwrap())
            .collect::<Vec<_>>()
    };
    assert!(
        parse(version) >= parse(minimum),
        "rust {version} < rust-version {minimum}"
    );
}
