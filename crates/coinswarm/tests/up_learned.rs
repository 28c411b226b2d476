//! The learned agent in `coinswarm up`: it votes in the committee, every decision records
//! its model's hash, MCP's and REST's predictions carry its forecast, and online learning
//! fine-tunes it off the decision path and puts each candidate to the quorum, whose votes
//! and outcome land in the audit chain.

mod support;

use serde_json::Value;
use std::time::{Duration, Instant};
use support::server::{Server, scratch_dir};

fn coinswarm(args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::cargo::cargo_bin_cmd!("coinswarm").args(args).output().unwrap();
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
    (output.status.code().unwrap(), text(output.stdout), text(output.stderr))
}

/// The audit log's records as (kind, payload).
fn audit(data_dir: &str) -> Vec<(String, Value)> {
    let (code, stdout, stderr) = coinswarm(&["memory", "audit", "--data-dir", data_dir]);
    assert_eq!(code, 0, "{stderr}");
    stdout
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let payload = line.find('{').map_or("", |at| &line[at..]);
            (fields[2].to_string(), serde_json::from_str(payload).unwrap_or(Value::Null))
        })
        .collect()
}

#[test]
fn the_learned_agent_votes_records_its_model_and_fine_tunes_under_the_quorum() {
    let dir = scratch_dir("learned");
    let data_dir = dir.to_str().unwrap().to_string();
    let model =
        std::path::Path::new("../coinswarm-core/tests/fixtures/learned_model.safetensors").canonicalize().unwrap();
    let root = coinswarm_core::learned::LearnedModel::from_safetensors(&std::fs::read(&model).unwrap()).unwrap();
    let config = dir.join("up.toml");
    std::fs::write(
        &config,
        "[learned.online]\nevery_resolved = 100\nevaluation_samples = 100\nmin_train_samples = 200\nepochs = 5\n",
    )
    .unwrap();
    let args = ["--model", model.to_str().unwrap(), "--config", config.to_str().unwrap()];
    let server = Server::start_with_args(&dir, &[], 2, &args);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut proposals = Vec::new();
    while Instant::now() < deadline && proposals.len() < 2 {
        std::thread::sleep(Duration::from_millis(1000));
        proposals = audit(&data_dir).into_iter().filter(|(kind, _)| kind == "model_proposal").collect();
    }
    assert!(proposals.len() >= 2, "no fine-tuning reached the quorum in 120 s");

    // Every decision names the model in use; the prediction carries its forecast.
    let (status, body) = server.get("/api/predictions?product_id=BTC-USD", None);
    assert_eq!(status, 200, "{body}");
    let prediction: Value = serde_json::from_str(&body).unwrap();
    let decision = &prediction["decision"];
    let in_use = decision["learned"]["model"].as_str().unwrap().to_string();
    assert!(decision["learned"]["prediction"]["probability_up"].is_number(), "{decision}");
    assert!(decision["votes"].as_array().unwrap().iter().any(|v| v["agent"] == "learned"), "{decision}");
    assert!(decision["weights"].as_array().unwrap().len() == 8, "{decision}");

    // Each proposal went to three managers and was settled, in the verified chain.
    let records = audit(&data_dir);
    let first = records.iter().position(|(kind, _)| kind == "model_proposal").unwrap();
    let kinds: Vec<&str> = records[first..first + 5].iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(kinds[..4], ["model_proposal", "vote", "vote", "vote"]);
    assert!(matches!(kinds[4], "commit" | "rejection"), "{kinds:?}");
    let proposal = &records[first].1;
    assert_eq!(proposal["current"], root.hash(), "the first candidate descends from the given model");
    assert_eq!(proposal["evidence"]["parent"], root.hash());
    assert!(proposal["evidence"]["evaluation_samples"].as_u64().unwrap() >= 100, "{proposal}");
    let evaluated_from = proposal["evidence"]["evaluation_from_ms"].as_i64().unwrap();
    assert!(evaluated_from > 0 && proposal["evidence"]["train_samples"].as_u64().unwrap() > 0, "{proposal}");
    let (code, stdout, stderr) = coinswarm(&["memory", "audit", "--verify", "--data-dir", &data_dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // A committed candidate is the model in use from then on, and is kept for the next start.
    let committed: Vec<&Value> =
        records.windows(5).filter(|w| w[0].0 == "model_proposal" && w[4].0 == "commit").map(|w| &w[0].1).collect();
    for proposal in &committed {
        let better = proposal["evidence"]["candidate_loss"].as_f64() < proposal["evidence"]["current_loss"].as_f64();
        assert!(better, "a commit without a lower loss: {proposal}");
    }
    eprintln!("{} model proposals, {} committed", proposals.len(), committed.len());
    let rejected = records.windows(5).filter(|w| w[0].0 == "model_proposal" && w[4].0 == "rejection").count();
    assert_eq!(committed.len() + rejected, proposals.len().min(committed.len() + rejected));
    server.terminate();
    if let Some(last) = committed.last() {
        let current: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("models/current.json")).unwrap()).unwrap();
        assert_eq!(current["root"], root.hash());
        assert_eq!(current["model"], last["candidate"]);
        assert_ne!(in_use, root.hash(), "a promotion did not change the model in use");
    } else {
        assert_eq!(in_use, root.hash());
        assert!(!dir.join("models/current.json").exists());
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn up_refuses_a_bad_model_file_before_it_starts() {
    let dir = scratch_dir("learned-bad");
    let bad = dir.join("bad.safetensors");
    std::fs::write(&bad, b"not a model").unwrap();
    let (code, _, stderr) = coinswarm(&[
        "up",
        "--data-dir",
        dir.to_str().unwrap(),
        "--model",
        bad.to_str().unwrap(),
        "--listen",
        "127.0.0.1:0",
    ]);
    assert_ne!(code, 0);
    assert!(stderr.contains("model file") && stderr.contains("bad.safetensors"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}
