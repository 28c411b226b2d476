//! `coinswarm memory …` through the real binary, on a data directory a server would keep.

use coinswarm_core::memory::{AuditLog, Episode};
use coinswarm_server::adapters::store::{EpisodeStore, SqlStore};

fn coinswarm(args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::cargo::cargo_bin_cmd!("coinswarm").args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code().unwrap(), text(output.stdout), text(output.stderr))
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("coinswarm-memory-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn with_store(dir: &std::path::Path, work: impl AsyncFnOnce(&SqlStore)) {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let store = SqlStore::open(dir, coinswarm_server::clock::SystemClock::shared()).await.unwrap();
        work(&store).await;
        store.close().await;
    });
}

#[test]
fn audit_verify_passes_an_intact_chain_and_names_the_first_record_that_breaks_it() {
    let dir = scratch("audit");
    let mut log = AuditLog::default();
    for i in 0..3 {
        log.append(i, "proposal", format!("{{\"pattern_id\":\"p-{i}\"}}"));
    }
    let valid = log.records().to_vec();
    with_store(&dir, async |store| store.append_audit(&valid).await.unwrap());
    let data_dir = dir.to_str().unwrap();
    let (code, stdout, stderr) = coinswarm(&["memory", "audit", "--verify", "--data-dir", data_dir]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(stdout.contains("3 records"), "{stdout}");

    // A fourth record that claims the right predecessor but carries a forged hash.
    let mut forged = log.append(3, "commit", "{\"pattern_id\":\"p-2\"}".into()).clone();
    forged.payload = "{\"pattern_id\":\"p-9\"}".into();
    with_store(&dir, async |store| store.append_audit(&[forged]).await.unwrap());
    let (code, stdout, stderr) = coinswarm(&["memory", "audit", "--verify", "--data-dir", data_dir]);
    assert_ne!(code, 0);
    assert_eq!(stdout, "");
    assert!(stderr.contains("audit record 4") && stderr.contains("changed"), "{stderr}");
    assert!(!stderr.contains("panicked"));

    let (code, stdout, _) = coinswarm(&["memory", "audit", "--data-dir", data_dir]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn stats_count_episodes_and_known_outcomes_by_product_and_regime() {
    let dir = scratch("stats");
    let episode = |i: usize, regime: &str, outcome: Option<f64>| Episode {
        id: format!("e{i}"),
        product_id: "BTC-USD".into(),
        time_ms: i as i64,
        horizon_end_ms: i as i64 + 10,
        regime: regime.into(),
        action: "BUY".into(),
        price: 100.0,
        state: vec![1.0, 0.5],
        outcome,
    };
    let episodes =
        vec![episode(1, "trending", Some(0.01)), episode(2, "trending", None), episode(3, "ranging", Some(-0.02))];
    with_store(&dir, async |store| store.record_episodes(&episodes).await.unwrap());
    let (code, stdout, stderr) = coinswarm(&["memory", "stats", "--data-dir", dir.to_str().unwrap()]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    assert!(stdout.contains("episodes          3"), "{stdout}");
    assert!(stdout.contains("with an outcome   2"), "{stdout}");
    assert!(stdout.contains("trending         2 (1 with an outcome)"), "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn patterns_lists_each_learned_pattern_with_its_lifecycle_weight_and_statistics() {
    use coinswarm_core::memory::{Lifecycle, LiveRecord, Pattern, PatternStats};
    let dir = scratch("patterns");
    let data_dir = dir.to_str().unwrap().to_string();
    let (code, stdout, _) = coinswarm(&["memory", "patterns", "--data-dir", &data_dir]);
    assert_eq!((code, stdout.as_str()), (0, "no patterns learned yet\n"));

    let pattern = |n: usize, lifecycle: Lifecycle, weight: f64| Pattern {
        id: format!("BTC-USD/p-{n}"),
        product_id: "BTC-USD".into(),
        lifecycle,
        weight,
        centroid: vec![0.1, -0.2],
        stats: PatternStats {
            count: 150,
            win_rate: 0.58,
            mean: 0.004,
            std: 0.01,
            sharpe: 1.6,
            max_drawdown: 0.05,
            regime: "trending".into(),
            regime_share: 0.8,
        },
        live: LiveRecord::default(),
        created_ms: 1,
        updated_ms: 2,
    };
    let first = vec![pattern(1, Lifecycle::Active, 0.3), pattern(2, Lifecycle::Candidate, 0.0)];
    with_store(&dir, async |store| store.save_patterns(&first).await.unwrap());
    // A later save replaces a pattern in place (its place in the list stays).
    let changed = vec![pattern(1, Lifecycle::Deprecated, 0.0)];
    with_store(&dir, async |store| store.save_patterns(&changed).await.unwrap());

    let (code, stdout, stderr) = coinswarm(&["memory", "patterns", "--data-dir", &data_dir]);
    assert_eq!((code, stderr.as_str()), (0, ""));
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[1].starts_with("BTC-USD/p-1") && lines[1].contains("deprecated"), "{stdout}");
    assert!(lines[1].contains("58.0%") && lines[1].contains("1.60") && lines[1].contains("trending (80%)"), "{stdout}");
    assert!(lines[2].starts_with("BTC-USD/p-2") && lines[2].contains("candidate"), "{stdout}");

    let (code, stdout, _) = coinswarm(&["memory", "patterns", "--json", "--data-dir", &data_dir]);
    assert_eq!(code, 0);
    let patterns: Vec<Pattern> = serde_json::from_str(&stdout).unwrap();
    assert_eq!(patterns, vec![changed[0].clone(), first[1].clone()]);
    std::fs::remove_dir_all(dir).unwrap();
}
