//! `coinswarm`: the command-line face of Coinswarm. Parsing and dispatch live in [`cli`];
//! this file only maps the outcome to an exit code.
#![forbid(unsafe_code)]
#![warn(missing_debug_implementations, unused_crate_dependencies)]

mod cli;
mod report;

// The dev-dependency drives the binary from tests/; the binary's own unit tests do not use it.
#[cfg(test)]
use {
    arrow_array as _, arrow_schema as _, assert_cmd as _, base64 as _, coinswarm_api as _, coinswarm_edge as _,
    futures_util as _, jsonschema as _, parquet as _, socket2 as _, sqlx as _, tokio_tungstenite as _,
};

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    // One TLS provider for every HTTPS client in the process (Coinbase, rmcp's client).
    coinswarm_coinbase::install_tls_provider();
    match cli::run(cli::Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        // The reader went away (`coinswarm data show … | head`): nothing left to say.
        Err(err) if cli::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
