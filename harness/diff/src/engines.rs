//! Building the engines of a campaign by name: the registry's engines, plus
//! the test-only engines of [`crate::testing`] when the environment variable
//! [`TEST_ENGINES_ENV`] is `1` (the planted-bug tests set it for their
//! workers; it is never needed otherwise).

use std::sync::Arc;

use wasmlab_contract::{Engine, EngineConfig, Error};

use crate::testing;

/// Set to `1` to make the test-only engines selectable by name.
pub const TEST_ENGINES_ENV: &str = "WASMLAB_TEST_ENGINES";

pub fn test_engines_enabled() -> bool {
    std::env::var(TEST_ENGINES_ENV).is_ok_and(|v| v == "1")
}

/// Every selectable engine name, the reference first.
pub fn names() -> Vec<String> {
    let mut names: Vec<String> = wasmlab_registry::names().iter().map(|n| n.to_string()).collect();
    if test_engines_enabled() {
        names.extend(testing::NAMES.iter().map(|n| n.to_string()));
    }
    names
}

/// The engines a campaign runs when none are named: every registry engine.
pub fn default_names() -> Vec<String> {
    wasmlab_registry::names().iter().map(|n| n.to_string()).collect()
}

/// The reference engine (compared against); always run first when present.
pub fn reference() -> &'static str {
    wasmlab_registry::REFERENCE
}

/// Parses `a,b,c` (or `all`), checks every name, removes duplicates and
/// puts the reference first when present.
pub fn parse_list(list: &str) -> Result<Vec<String>, Error> {
    let known = names();
    let mut out: Vec<String> = Vec::new();
    let wanted: Vec<&str> = if list.trim() == "all" {
        known.iter().map(|s| s.as_str()).collect()
    } else {
        list.split(',').map(str::trim).filter(|n| !n.is_empty()).collect()
    };
    for name in wanted {
        if !known.iter().any(|k| k == name) {
            let hint = if testing::NAMES.contains(&name) {
                format!(" (test-only engines need {TEST_ENGINES_ENV}=1)")
            } else {
                String::new()
            };
            return Err(Error::Usage(format!("unknown engine '{name}'{hint}; known engines: {}", known.join(", "))));
        }
        if !out.iter().any(|o| o == name) {
            out.push(name.to_string());
        }
    }
    if out.is_empty() {
        return Err(Error::Usage("no engine named".into()));
    }
    order(&mut out);
    Ok(out)
}

/// Puts the reference first (keeping the others' order).
pub fn order(names: &mut [String]) {
    if let Some(i) = names.iter().position(|n| n == reference()) {
        names[..=i].rotate_right(1);
    }
}

/// Creates the engine called `name`.
pub fn create(name: &str, config: &EngineConfig) -> Result<Arc<dyn Engine>, Error> {
    if testing::NAMES.contains(&name) {
        if !test_engines_enabled() {
            return Err(Error::Usage(format!("'{name}' is a test-only engine: set {TEST_ENGINES_ENV}=1")));
        }
        return testing::create(name, config);
    }
    wasmlab_registry::create(name, config).map(Arc::from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_put_the_reference_first_and_reject_unknown_names() {
        let list = parse_list("wasmi,wasmtime").unwrap();
        assert_eq!(list, vec!["wasmtime".to_string(), "wasmi".to_string()]);
        assert!(parse_list("nope").unwrap_err().to_string().contains("known engines"));
        assert_eq!(parse_list("all").unwrap()[0], "wasmtime");
    }
}

/// Calls after which a tiered engine compiles a function in campaigns: low,
/// so generated cases (a few calls each) run compiled code too.
pub const CAMPAIGN_TIER_CALLS: u32 = 2;
/// Back-edges after which a running loop moves to compiled code in
/// campaigns: low, so on-stack replacement happens inside generated cases.
pub const CAMPAIGN_TIER_LOOPS: u32 = 16;

/// The configuration engines get in campaigns, fuzzing and replays.
pub fn campaign_config(cache_dir: Option<std::path::PathBuf>) -> EngineConfig {
    EngineConfig {
        cache_dir,
        tier_calls: Some(CAMPAIGN_TIER_CALLS),
        tier_loops: Some(CAMPAIGN_TIER_LOOPS),
        code_cache_bytes: std::env::var(CODE_CACHE_ENV).ok().and_then(|v| v.parse().ok()),
        // Tiering at the threshold itself, so a finding replays exactly,
        // unless a campaign asks for the background compiler.
        deterministic_tiering: std::env::var(BACKGROUND_ENV).map_or(true, |v| v != "1"),
        ..EngineConfig::default()
    }
}

/// What `wasmlab diff --code-cache` and `--background-tiering` tell their
/// worker processes (read by [`campaign_config`]).
pub const CODE_CACHE_ENV: &str = "WASMLAB_CODE_CACHE_BYTES";
pub const BACKGROUND_ENV: &str = "WASMLAB_BACKGROUND_TIERING";
