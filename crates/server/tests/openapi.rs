//! The OpenAPI document describes every route of the contract, and changes to
//! it are deliberate: it must match the committed `docs/openapi.json`
//! (regenerate with `UPDATE_OPENAPI=1 cargo test -p gatherhub-server --test openapi`).

#![allow(clippy::unwrap_used, reason = "test code")]

use std::path::PathBuf;

use serde_json::Value;

/// Every operation of API.md, as (method, path).
const CONTRACT: &[(&str, &str)] = &[
    ("post", "/api/v1/auth/register/"),
    ("post", "/api/v1/auth/login/"),
    ("post", "/api/v1/auth/refresh/"),
    ("post", "/api/v1/auth/logout/"),
    ("get", "/api/v1/auth/profile/"),
    ("put", "/api/v1/auth/profile/"),
    ("patch", "/api/v1/auth/profile/"),
    ("post", "/api/v1/auth/change-password/"),
    ("put", "/api/v1/auth/profile/avatar/"),
    ("delete", "/api/v1/auth/profile/avatar/"),
    ("get", "/media/avatars/{name}"),
    ("get", "/api/v1/events/"),
    ("post", "/api/v1/events/"),
    ("get", "/api/v1/events/{id}/"),
    ("put", "/api/v1/events/{id}/"),
    ("patch", "/api/v1/events/{id}/"),
    ("delete", "/api/v1/events/{id}/"),
    ("post", "/api/v1/events/{id}/join/"),
    ("post", "/api/v1/events/{id}/leave/"),
    ("get", "/api/v1/events/{id}/members/"),
    ("post", "/api/v1/events/{id}/members/"),
    ("delete", "/api/v1/events/{id}/members/{user_id}/"),
    ("get", "/api/v1/events/{id}/presence/"),
    ("get", "/api/v1/tasks/"),
    ("post", "/api/v1/tasks/"),
    ("get", "/api/v1/tasks/{id}/"),
    ("put", "/api/v1/tasks/{id}/"),
    ("patch", "/api/v1/tasks/{id}/"),
    ("delete", "/api/v1/tasks/{id}/"),
    ("post", "/api/v1/tasks/{id}/assign/"),
    ("post", "/api/v1/tasks/{id}/complete/"),
    ("get", "/api/v1/voting/"),
    ("post", "/api/v1/voting/"),
    ("get", "/api/v1/voting/{id}/"),
    ("put", "/api/v1/voting/{id}/"),
    ("patch", "/api/v1/voting/{id}/"),
    ("delete", "/api/v1/voting/{id}/"),
    ("post", "/api/v1/voting/{id}/vote/"),
    ("delete", "/api/v1/voting/{id}/vote/"),
    ("get", "/api/v1/voting/{id}/results/"),
    ("post", "/api/v1/voting/{id}/close/"),
    ("get", "/health/"),
    ("get", "/health/live/"),
    ("get", "/health/ready/"),
];

fn document() -> Value {
    serde_json::to_value(gatherhub_server::openapi::document()).unwrap()
}

#[test]
fn every_contract_operation_is_documented_with_its_errors() {
    let doc = document();
    let mut operation_ids = std::collections::HashSet::new();
    for (method, path) in CONTRACT {
        let operation = &doc["paths"][path][method];
        assert!(operation.is_object(), "{method} {path} is not documented");
        let id = operation["operationId"].as_str().unwrap_or_default();
        assert!(!id.is_empty(), "{method} {path} has no operationId");
        assert!(
            operation_ids.insert(id.to_owned()),
            "duplicate operationId {id}"
        );
        let responses = operation["responses"].as_object().unwrap();
        assert!(
            responses.keys().any(|s| s.starts_with('2')),
            "{method} {path}: no success response"
        );
        assert!(responses.contains_key("500"), "{method} {path}: no 500");
        if path.starts_with("/api/v1/") {
            let protected = operation["security"].as_array().is_some_and(|s| {
                !s.is_empty()
                    && s.iter()
                        .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
            });
            if protected {
                assert!(
                    responses.contains_key("401"),
                    "{method} {path}: protected but no 401"
                );
            }
            if ["post", "put", "patch"].contains(method) && operation["requestBody"].is_object() {
                for status in ["400", "413", "415"] {
                    assert!(
                        responses.contains_key(status),
                        "{method} {path}: body but no {status}"
                    );
                }
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path}: no 404");
            }
        }
    }
}

#[test]
fn the_document_matches_the_committed_snapshot() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json");
    let current = serde_json::to_string_pretty(&document()).unwrap() + "\n";
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, &current).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == current,
        "the OpenAPI document changed: review it, then run UPDATE_OPENAPI=1 cargo test -p gatherhub-server --test openapi"
    );
}
