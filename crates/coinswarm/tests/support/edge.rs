//! The edge Worker under `wrangler dev` for the tests: the Worker built by
//! `scripts/edge-build` (which `scripts/test` runs first), D1's migrations applied, served on
//! a free loopback port with its state in a folder (`--persist-to`), so a restart on the same
//! folder keeps every Durable Object's storage, D1, KV and R2.
// Only the edge test binaries start a Worker; the others share `support` without it.
#![allow(dead_code)]

use super::server::{Client, Server, keys_create};
use std::io::Read;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The edge token the tests give the Worker (its EDGE_TOKEN) and `up --edge-token`.
pub const EDGE_TOKEN: &str = "contract-edge-token";

/// The Worker's crate folder.
pub fn edge_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../coinswarm-edge")
}

/// A `wrangler dev` process serving the Worker.
pub struct Edge {
    child: Child,
    pub addr: SocketAddr,
    state: PathBuf,
    vars: Vec<(String, String)>,
    /// A copy of wrangler.toml this Worker runs with, when it differs from the crate's.
    config: Option<PathBuf>,
    /// The loopback port its agent tier ([`Edge::agent`]) listens on: the Worker's
    /// `AGENT_URL`, reserved when the Worker starts so that it is known to both.
    pub agent_port: u16,
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// `wrangler` from the crate's node_modules, with its Node.js (≥ 22) first on PATH and
/// nothing sent anywhere.
fn wrangler(state: &Path) -> Command {
    let dir = edge_dir();
    let bin = dir.join("node_modules/.bin");
    assert!(
        bin.join("wrangler").exists() && dir.join("build/worker/shim.mjs").exists(),
        "the edge Worker is not built: run scripts/edge-build (scripts/test does)"
    );
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default());
    let mut command = Command::new(bin.join("wrangler"));
    command
        .current_dir(&dir)
        .env("PATH", path)
        .env("WRANGLER_SEND_METRICS", "false")
        .env("CLOUDFLARE_CF_FETCH_ENABLED", "false")
        .env("XDG_CONFIG_HOME", state.join("xdg"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

impl Edge {
    /// Applies D1's migrations to `state` and starts the Worker on it, its `AGENT_URL` the
    /// port [`Edge::agent`] will listen on; waits (at most 60 s) for `/healthz`.
    pub fn start(state: &Path) -> Edge {
        Self::start_with_vars(state, &[])
    }

    /// The same, overriding `wrangler.toml`'s `[vars]` (e.g. `MAX_QUOTE_AGE_MS`).
    pub fn start_with_vars(state: &Path, vars: &[(&str, &str)]) -> Edge {
        Self::start_with(state, vars, None)
    }

    /// The same, with each key's budget (the rate-limiting binding) at `rate_limit` requests a
    /// minute instead of wrangler.toml's.
    pub fn start_with(state: &Path, vars: &[(&str, &str)], rate_limit: Option<u32>) -> Edge {
        std::fs::create_dir_all(state).unwrap();
        let config = rate_limit.map(|limit| {
            let toml = std::fs::read_to_string(edge_dir().join("wrangler.toml")).unwrap();
            let changed = toml.replace(
                "simple = { limit = 600, period = 60 }",
                &format!("simple = {{ limit = {limit}, period = 60 }}"),
            );
            assert_ne!(toml, changed, "wrangler.toml's rate limit moved");
            let name = format!(".wrangler-test-{}.toml", std::process::id() as u64 * 1000 + free_port() as u64);
            let path = edge_dir().join(name);
            std::fs::write(&path, changed).unwrap();
            path
        });
        let mut migrate = wrangler(state);
        migrate.args(["d1", "migrations", "apply", "coinswarm", "--local", "--persist-to"]).arg(state);
        if let Some(config) = &config {
            migrate.arg("--config").arg(config);
        }
        let migrated = migrate.output().expect("wrangler runs");
        assert!(migrated.status.success(), "D1 migrations: {}", String::from_utf8_lossy(&migrated.stderr));
        let agent_port = free_port();
        let mut vars: Vec<(String, String)> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        if !vars.iter().any(|(name, _)| name == "AGENT_URL") {
            vars.push(("AGENT_URL".into(), format!("http://127.0.0.1:{agent_port}")));
        }
        Self::serve(state, vars, config, agent_port)
    }

    /// Stops this Worker and starts it again on the same state (the Durable Objects, D1 and
    /// KV keep what they stored), on the same port.
    pub fn restart(mut self) -> Edge {
        self.terminate();
        let (state, vars, config) = (self.state.clone(), std::mem::take(&mut self.vars), self.config.take());
        // On the same port, as a deployed Worker keeps its URL: the agent tier's link goes on
        // publishing to it.
        Self::serve_on(self.addr.port(), &state, vars, config, self.agent_port)
    }

    fn serve(state: &Path, vars: Vec<(String, String)>, config: Option<PathBuf>, agent_port: u16) -> Edge {
        Self::serve_on(free_port(), state, vars, config, agent_port)
    }

    fn serve_on(
        port: u16,
        state: &Path,
        vars: Vec<(String, String)>,
        config: Option<PathBuf>,
        agent_port: u16,
    ) -> Edge {
        let log = std::fs::File::create(state.join(format!("wrangler-{port}.log"))).unwrap();
        let mut command = wrangler(state);
        command
            .args(["dev", "--ip", "127.0.0.1", "--port", &port.to_string(), "--inspector-port"])
            .arg(free_port().to_string())
            .arg("--persist-to")
            .arg(state)
            .args(["--show-interactive-dev-session=false", "--var", &format!("EDGE_TOKEN:{EDGE_TOKEN}")]);
        for (name, value) in &vars {
            command.args(["--var", &format!("{name}:{value}")]);
        }
        if let Some(config) = &config {
            command.arg("--config").arg(config);
        }
        let child = command.stdout(log.try_clone().unwrap()).stderr(log).spawn().expect("wrangler dev starts");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let edge = Edge { child, addr, state: state.to_path_buf(), vars, config, agent_port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if edge.client().request("GET", "/healthz", None, None).0 == 200 {
                return edge;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("wrangler dev never answered /healthz: {}", edge.log());
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn client(&self) -> Client {
        Client { addr: self.addr }
    }

    /// wrangler's output so far.
    pub fn log(&self) -> String {
        let mut text = String::new();
        let path = self.state.join(format!("wrangler-{}.log", self.addr.port()));
        if let Ok(mut file) = std::fs::File::open(path) {
            let _ = file.read_to_string(&mut text);
        }
        text
    }

    /// Waits (at most 60 s) until the agent tier's venue has reached the edge.
    pub fn wait_for_venue(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.client().request("GET", "/api/market-data?product_id=BTC-USD", None, None).0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no market data reached the edge within 60 s: {}", self.log());
    }

    /// `coinswarm up` in `dir` as this Worker's agent tier (`--edge-url`, `--edge-token`, on
    /// the Worker's `AGENT_URL`), replaying a bar every `bar_interval_ms`, pattern memory off,
    /// with more `args`.
    pub fn agent(&self, dir: &Path, bar_interval_ms: u64, args: &[&str]) -> Server {
        self.agent_with_env(dir, bar_interval_ms, args, &[("COINSWARM_MEMORY_ENABLED", "false")])
    }

    /// The same, with `env` as the agent tier's environment.
    pub fn agent_with_env(&self, dir: &Path, bar_interval_ms: u64, args: &[&str], env: &[(&str, &str)]) -> Server {
        let (url, listen) = (self.url(), format!("127.0.0.1:{}", self.agent_port));
        let mut all = vec!["--edge-url", url.as_str(), "--edge-token", EDGE_TOKEN, "--listen", listen.as_str()];
        all.extend_from_slice(args);
        Server::start_with_args(dir, env, bar_interval_ms, &all)
    }

    /// The rows of a query on the Worker's local D1 (`wrangler d1 execute --local`).
    pub fn d1(&self, sql: &str) -> Vec<serde_json::Value> {
        let output = wrangler(&self.state)
            .args(["d1", "execute", "coinswarm", "--local", "--json", "--persist-to"])
            .arg(&self.state)
            .args(["--command", sql])
            .output()
            .expect("wrangler runs");
        assert!(output.status.success(), "d1 execute: {}", String::from_utf8_lossy(&output.stderr));
        let answer: serde_json::Value = serde_json::from_slice(&output.stdout).expect("wrangler answers JSON");
        answer[0]["results"].as_array().cloned().unwrap_or_default()
    }

    /// A key made at the edge with `coinswarm keys create --edge-url`: its secret.
    pub fn create_key(&self, account: &str, scope: &str) -> String {
        let args = ["--account", account, "--scope", scope, "--edge-url", &self.url(), "--edge-token", EDGE_TOKEN];
        keys_create(&self.state.join("unused-data-dir"), &args).unwrap_or_else(|stderr| panic!("{stderr}"))
    }

    /// Stops wrangler (SIGTERM; its workerd exits with it), waiting at most 10 s.
    pub fn stop(mut self) {
        self.terminate();
    }

    fn terminate(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Edge {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.terminate();
        }
        if let Some(config) = self.config.take() {
            let _ = std::fs::remove_file(config);
        }
    }
}
