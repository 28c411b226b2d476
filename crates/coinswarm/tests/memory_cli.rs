//! `coinswarm memory …` through the real binary, on a data directory a server would keep.

use coinswarm_core::memory::{AuditLog, Episode};
use coinswarm_server::store::{EpisodeStore, SqlStore};

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
        let store = SqlStore::open(dir).await.unwrap();
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
