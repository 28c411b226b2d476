//! The learned agent in `coinswarm up`: it votes in the committee, every decision records
//! its model's hash, MCP's and REST's predictions carry its forecast, and online learning
//! fine-tunes it off the decision path and puts each candidate to the quorum, whose votes
//! and outcome land in the audit chain.

mod support;

use coinswarm_core::learned::LearnedModel;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::live::{call_tool, mcp_client};
use support::server::{Server, create_key, scratch_dir};

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

/// The checked-in model with its outputs pushed far off (it predicts large gains, sure of
/// them), written to `path`: fine-tuning on real outcomes must do better.
fn miscalibrated_model(path: &std::path::Path) -> LearnedModel {
    let bytes = std::fs::read("../coinswarm-core/tests/fixtures/learned_model.safetensors").unwrap();
    let model = LearnedModel::from_safetensors(&bytes).unwrap();
    let mut layers = model.layers().clone();
    layers[2].bias[0] += 2.0;
    layers[2].bias[1] += 4.0;
    let bad =
        LearnedModel::new(*model.spec(), model.horizon_bars(), model.target_scale(), layers, model.training().clone())
            .unwrap();
    std::fs::write(path, bad.to_safetensors()).unwrap();
    bad
}

/// The model named by the latest decision.
fn model_in_use(server: &Server) -> String {
    let (status, body) = server.get("/api/predictions?product_id=BTC-USD", None);
    assert_eq!(status, 200, "{body}");
    let prediction: Value = serde_json::from_str(&body).unwrap();
    prediction["decision"]["learned"]["model"].as_str().unwrap_or_default().to_string()
}

#[test]
fn the_learned_agent_votes_records_its_model_and_fine_tunes_under_the_quorum() {
    let dir = scratch_dir("learned");
    let data_dir = dir.to_str().unwrap().to_string();
    let model_path = dir.join("given.safetensors");
    let root = miscalibrated_model(&model_path);
    let config = dir.join("up.toml");
    std::fs::write(
        &config,
        "[learned.online]\nevery_resolved = 100\nevaluation_samples = 100\nmin_train_samples = 200\nepochs = 20\n",
    )
    .unwrap();
    let reader = create_key(&dir, "swarm", "read");
    let args = ["--model", model_path.to_str().unwrap(), "--config", config.to_str().unwrap()];
    let server = Server::start_with_args(&dir, &[], 2, &args);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut records = Vec::new();
    let settled = |records: &[(String, Value)], outcome: &str| {
        records.windows(5).filter(|w| w[0].0 == "model_proposal" && w[4].0 == outcome).count()
    };
    while Instant::now() < deadline && (settled(&records, "commit") < 1 || settled(&records, "rejection") < 1) {
        std::thread::sleep(Duration::from_millis(1000));
        records = audit(&data_dir);
    }
    assert!(settled(&records, "commit") >= 1, "no candidate was promoted in 120 s");

    // Every decision names the model in use; the prediction carries its forecast.
    let (status, body) = server.get("/api/predictions?product_id=BTC-USD", None);
    assert_eq!(status, 200, "{body}");
    let prediction: Value = serde_json::from_str(&body).unwrap();
    let decision = &prediction["decision"];
    assert!(decision["learned"]["prediction"]["probability_up"].is_number(), "{decision}");
    assert!(decision["votes"].as_array().unwrap().iter().any(|v| v["agent"] == "learned"), "{decision}");
    assert_eq!(decision["weights"].as_array().unwrap().len(), 8, "{decision}");
    // MCP's get_prediction: the same decision, its summary naming the learned forecast.
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let client = mcp_client(&server, &reader).await;
        let answer = call_tool(&client, "get_prediction", json!({"product_id": "BTC-USD"})).await.unwrap();
        let summary = format!("{:?}", answer.content);
        assert!(summary.contains("learned model") && summary.contains("chance of a gain"), "{summary}");
        let structured = answer.structured_content.unwrap();
        assert_eq!(structured["decision"]["learned"]["model"].as_str().map(str::len), Some(64), "{structured}");
        let _ = client.cancel().await;
    });

    // Each proposal went to three managers and was settled, in the verified chain.
    let first = records.iter().position(|(kind, _)| kind == "model_proposal").unwrap();
    let proposal = &records[first].1;
    assert_eq!(proposal["current"], root.hash(), "the first candidate descends from the given model");
    assert_eq!(proposal["evidence"]["parent"], root.hash());
    assert!(proposal["evidence"]["evaluation_samples"].as_u64().unwrap() >= 100, "{proposal}");
    assert!(proposal["evidence"]["train_samples"].as_u64().unwrap() > 0, "{proposal}");
    let mut current = root.hash().to_string();
    for w in records.windows(5).filter(|w| w[0].0 == "model_proposal") {
        let kinds: Vec<&str> = w.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds[1..4], ["vote", "vote", "vote"]);
        let (proposal, evidence) = (&w[0].1, &w[0].1["evidence"]);
        assert_eq!(proposal["current"], current.as_str(), "each candidate is put against the model in use");
        let better = evidence["candidate_loss"].as_f64().unwrap() < evidence["current_loss"].as_f64().unwrap();
        match kinds[4] {
            "commit" => {
                assert!(better, "a commit without a lower loss: {proposal}");
                current = proposal["candidate"].as_str().unwrap().to_string();
            }
            "rejection" => assert!(!better || evidence["evaluation_samples"].as_u64() < Some(100), "{proposal}"),
            other => panic!("{other}"),
        }
    }
    let (code, stdout, stderr) = coinswarm(&["memory", "audit", "--verify", "--data-dir", &data_dir]);
    assert_eq!(code, 0, "{stdout}{stderr}");

    // The promoted version is kept, and used at the next start with the same --model.
    server.terminate();
    let kept: Value = serde_json::from_str(&std::fs::read_to_string(dir.join("models/current.json")).unwrap()).unwrap();
    assert_eq!(kept["root"], root.hash());
    let promoted = kept["model"].as_str().unwrap().to_string();
    assert!(dir.join(format!("models/{promoted}.safetensors")).exists());
    let offline =
        LearnedModel::from_safetensors(&std::fs::read(dir.join(format!("models/{promoted}.safetensors"))).unwrap())
            .unwrap();
    assert_eq!(offline.hash(), promoted);
    assert_eq!(offline.training().parent.as_deref().map(str::len), Some(64), "a promoted model names its parent");
    let quiet = dir.join("quiet.toml");
    std::fs::write(&quiet, "[learned.online]\nenabled = false\n").unwrap();
    let args = ["--model", model_path.to_str().unwrap(), "--config", quiet.to_str().unwrap()];
    let server = Server::start_with_args(&dir, &[], 2, &args);
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut in_use = String::new();
    while Instant::now() < deadline && in_use.is_empty() {
        std::thread::sleep(Duration::from_millis(300));
        in_use = model_in_use(&server);
    }
    assert_eq!(in_use, promoted, "the restart did not continue from the promoted model");
    server.terminate();
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
