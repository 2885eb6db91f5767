//! The core is the application without HTTP: no web framework, template
//! engine or session layer may enter its dependency tree, or the rules
//! would drift back into request handlers.

use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::process::Command;

/// Crates of the web faces that the core must never depend on.
const FORBIDDEN: &[&str] = &[
    "axum",
    "axum-core",
    "askama",
    "askama_web",
    "tower",
    "tower-http",
    "tower-sessions",
    "tower-sessions-core",
    "tower-sessions-sqlx-store",
];

/// The one way `tower` may come in: the AWS SDK's own HTTP connector (its
/// hyper client is built on tower's service traits). The core never names
/// it; a path to tower through anything else fails the test.
const TOWER_ONLY_THROUGH: &str = "aws-smithy-http-client";

/// package id -> (name, ids of its normal, non-dev dependencies)
fn resolve_graph() -> (String, HashMap<String, (String, Vec<String>)>) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "cargo metadata failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("cargo metadata is JSON");
    let names: HashMap<String, String> = metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap_or_default().to_owned(),
                p["name"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let mut graph = HashMap::new();
    let mut core = None;
    for node in metadata["resolve"]["nodes"]
        .as_array()
        .expect("resolve nodes")
    {
        let id = node["id"].as_str().unwrap_or_default().to_owned();
        let deps = node["deps"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|dep| {
                // kind null is a normal dependency; build dependencies run
                // at build time only, dev dependencies only in tests
                dep["dep_kinds"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|kind| kind["kind"].is_null())
            })
            .map(|dep| dep["pkg"].as_str().unwrap_or_default().to_owned())
            .collect();
        let name = names.get(&id).cloned().unwrap_or_default();
        if name == "bucketdesk-core" {
            core = Some(id.clone());
        }
        graph.insert(id, (name, deps));
    }
    (core.expect("bucketdesk-core is in the workspace"), graph)
}

/// Every path from `from` to a package named in `FORBIDDEN`, as names.
fn forbidden_paths(
    from: &str,
    graph: &HashMap<String, (String, Vec<String>)>,
    path: &mut Vec<String>,
    seen: &mut BTreeSet<String>,
    found: &mut Vec<String>,
) {
    let (name, deps) = &graph[from];
    path.push(name.clone());
    let allowed_tower = name == "tower" && path.iter().any(|p| p == TOWER_ONLY_THROUGH);
    if FORBIDDEN.contains(&name.as_str()) && !allowed_tower {
        found.push(path.join(" -> "));
    } else if seen.insert(format!(
        "{from}|{}",
        path.iter().any(|p| p == TOWER_ONLY_THROUGH)
    )) {
        for dep in deps {
            forbidden_paths(dep, graph, path, seen, found);
        }
    }
    path.pop();
}

#[test]
fn the_core_depends_on_no_web_framework_template_engine_or_session_layer() {
    let (core, graph) = resolve_graph();
    let mut found = Vec::new();
    forbidden_paths(
        &core,
        &graph,
        &mut Vec::new(),
        &mut BTreeSet::new(),
        &mut found,
    );
    assert!(
        found.is_empty(),
        "the core reaches web crates:\n{}",
        found.join("\n")
    );
    // the check itself sees the tree: the core does reach the storage crate
    // and, through the AWS SDK's connector, tower
    let reachable = |name: &str| {
        let mut stack = vec![core.clone()];
        let mut seen = BTreeSet::new();
        while let Some(id) = stack.pop() {
            if !seen.insert(id.clone()) {
                continue;
            }
            let (package, deps) = &graph[&id];
            if package == name {
                return true;
            }
            stack.extend(deps.iter().cloned());
        }
        false
    };
    assert!(reachable("bucketdesk-storage"));
    assert!(
        reachable("tower"),
        "the AWS SDK's connector is seen, so the exception is needed"
    );
    assert!(!reachable("bucketdesk-web"));
}
