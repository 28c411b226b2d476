//! `coinswarm model …`: the learned agent's model — train one on bars before `--to`, and
//! inspect a model file.

use super::replay_source::{ReplayData, load_config, write_whole};
use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use coinswarm_core::learned::{LearnedModel, SharedModel};
use coinswarm_core::time::Timestamp;
use coinswarm_learn::{TrainConfig, train_on_candles};
use rust_decimal::Decimal;
use serde::Serialize;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Train the learned agent's model on the bars of --from..--to (only samples whose
    /// outcome was known by the last bar's close), early-stopped on the latest 20% of them;
    /// write it as safetensors.
    Train(TrainArgs),
    /// Show a model file: its version (SHA-256), features, horizon and how it was trained.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    source: ReplayData,
    /// Where to write the model (safetensors), written whole or not at all.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Seed of the initial weights and batch order: the same seed and data give the same file.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Most passes over the samples (early stopping usually ends sooner).
    #[arg(long, default_value_t = TrainConfig::default().max_epochs)]
    max_epochs: usize,
    /// Taker fee in basis points the outcomes are net of (a round trip pays it twice);
    /// default Coinbase's 60.
    #[arg(long)]
    fee_bps: Option<Decimal>,
    /// TOML file of the swarm's settings: `[recall] horizon_bars` and `[recall.state]` set
    /// the model's horizon and features.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the training report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The model file.
    file: PathBuf,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(command: &ModelCommand, out: &mut dyn Write) -> anyhow::Result<()> {
    match command {
        ModelCommand::Train(args) => train(args, out),
        ModelCommand::Inspect(args) => inspect(args, out),
    }
}

/// Reads and checks a model file; every refusal names the file and what is wrong with it.
pub fn load_model(path: &Path) -> anyhow::Result<SharedModel> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read model file {}", path.display()))?;
    let model = LearnedModel::from_safetensors(&bytes).with_context(|| format!("model file {}", path.display()))?;
    Ok(Arc::new(model))
}

#[derive(Debug, Serialize)]
struct Trained<'a> {
    file: String,
    model: &'a str,
    product_id: &'a str,
    report: &'a coinswarm_learn::TrainReport,
    seconds: f64,
}

fn train(args: &TrainArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut swarm = load_config(args.config.as_deref())?;
    swarm.exchange.taker_fee_bps = args.fee_bps.unwrap_or(swarm.exchange.taker_fee_bps);
    if swarm.exchange.taker_fee_bps < Decimal::ZERO {
        bail!("--fee-bps must not be negative");
    }
    swarm.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let config = TrainConfig { seed: args.seed, max_epochs: args.max_epochs, ..TrainConfig::default() };
    config.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    let dataset = args.source.load()?;
    let (entry, candles) = args.source.select(&dataset)?;
    let product_id = entry.series.product_id().to_string();
    let bar_ms = entry.series.granularity().millis();
    let started = Instant::now();
    let (model, report) = train_on_candles(candles, &product_id, bar_ms, &swarm, &config)?;
    let seconds = started.elapsed().as_secs_f64();
    write_whole(&args.out, &model.to_safetensors())?;
    let file = args.out.display().to_string();
    if args.json {
        let trained = Trained { file, model: model.hash(), product_id: &product_id, report: &report, seconds };
        writeln!(out, "{}", serde_json::to_string_pretty(&trained)?)?;
        return Ok(());
    }
    let info = model.training();
    writeln!(out, "model {} written to {file}", model.hash())?;
    writeln!(
        out,
        "trained on {product_id}: decisions {} to {}, every outcome known by {}",
        time(info.from_ms),
        time(info.to_ms),
        time(info.outcomes_known_by_ms)
    )?;
    writeln!(
        out,
        "samples: {} train, {} validation (the latest, for early stopping)",
        report.train_samples, report.validation_samples
    )?;
    writeln!(
        out,
        "epochs: {} run, best {}; validation loss {:.4} (untrained {:.4}), train loss {:.4}; {seconds:.1} s",
        report.epochs, report.best_epoch, report.validation_loss, report.initial_validation_loss, report.train_loss
    )?;
    Ok(())
}

fn time(ms: i64) -> String {
    Timestamp::from_millis(ms).to_string()
}

#[derive(Debug, Serialize)]
struct Inspected<'a> {
    model: &'a str,
    format: &'static str,
    format_version: &'static str,
    inputs: usize,
    hidden: [usize; 2],
    horizon_bars: usize,
    target_scale: f64,
    features: &'a coinswarm_core::learned::FeatureSpec,
    training: &'a coinswarm_core::learned::TrainingInfo,
}

fn inspect(args: &InspectArgs, out: &mut dyn Write) -> anyhow::Result<()> {
    let model = load_model(&args.file)?;
    let layers = model.layers();
    let inspected = Inspected {
        model: model.hash(),
        format: coinswarm_core::learned::FORMAT,
        format_version: coinswarm_core::learned::FORMAT_VERSION,
        inputs: layers[0].inputs,
        hidden: [layers[0].outputs, layers[1].outputs],
        horizon_bars: model.horizon_bars(),
        target_scale: model.target_scale(),
        features: model.spec(),
        training: model.training(),
    };
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&inspected)?)?;
        return Ok(());
    }
    let t = model.training();
    writeln!(out, "model {}", model.hash())?;
    writeln!(
        out,
        "network: {} inputs → {} → {} → 2 (tanh)",
        inspected.inputs, inspected.hidden[0], inspected.hidden[1]
    )?;
    writeln!(out, "predicts: the net return over {} bars and the chance of a gain", model.horizon_bars())?;
    writeln!(out, "trained on {}: decisions {} to {}", t.product_id, time(t.from_ms), time(t.to_ms))?;
    writeln!(
        out,
        "samples: {} train, {} validation; best epoch {} of {}; validation loss {:.4}; seed {}",
        t.train_samples, t.validation_samples, t.best_epoch, t.epochs, t.validation_loss, t.seed
    )?;
    if let Some(parent) = &t.parent {
        writeln!(out, "fine-tuned from {parent}")?;
    }
    Ok(())
}

/// `--model FILE` on the commands that run the swarm or a strategy.
#[derive(Debug, Clone, Args)]
pub struct ModelArg {
    /// A trained model (`coinswarm model train`): turns the learned agent on (the committee
    /// then has it as a member; `--strategy learned` needs it). Its decisions record its hash.
    #[arg(long, value_name = "FILE.safetensors")]
    pub model: Option<PathBuf>,
}

impl ModelArg {
    /// Loads the model, if one is named, into `swarm` and turns the learned agent on.
    pub fn apply(&self, swarm: &mut coinswarm_core::swarm::SwarmConfig) -> anyhow::Result<()> {
        if let Some(path) = &self.model {
            swarm.learned.model = Some(load_model(path)?);
            swarm.learned.enabled = true;
        }
        Ok(())
    }
}
