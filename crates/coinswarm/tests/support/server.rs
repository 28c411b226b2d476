//! A real `coinswarm up` process on a free loopback port, and a minimal HTTP/1.1 client.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Server {
    pub child: Child,
    pub addr: SocketAddr,
    pub admin_key: Option<String>,
    pub data_dir: PathBuf,
}

pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("coinswarm-up-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

impl Server {
    /// Starts `coinswarm up` on port 0 in `data_dir` with extra environment, and waits (at
    /// most 30 s) until it prints its address and, on a first start, its admin key.
    pub fn start(data_dir: &Path, env: &[(&str, &str)]) -> Server {
        Self::start_with_bar_interval(data_dir, env, 40)
    }

    /// The same, replaying one bar every `bar_interval_ms`.
    pub fn start_with_bar_interval(data_dir: &Path, env: &[(&str, &str)], bar_interval_ms: u64) -> Server {
        Self::start_with_args(data_dir, env, bar_interval_ms, &[])
    }

    /// The same, with more command-line arguments.
    pub fn start_with_args(data_dir: &Path, env: &[(&str, &str)], bar_interval_ms: u64, args: &[&str]) -> Server {
        let mut command = Command::new(env!("CARGO_BIN_EXE_coinswarm"));
        let interval = bar_interval_ms.to_string();
        // A free port unless the caller names one (`--listen`).
        let listen = if args.contains(&"--listen") { &[][..] } else { &["--listen", "127.0.0.1:0"][..] };
        command
            .arg("up")
            .args(listen)
            .args(["--bar-interval-ms", &interval, "--data-dir"])
            .arg(data_dir)
            .args(args)
            .env("RUST_LOG", "warn")
            // A test's engine and archive are its own (tests/support/store.rs passes them),
            // never a developer's from the environment.
            .env_remove("COINSWARM_DATABASE_URL")
            .env_remove("COINSWARM_ARCHIVE_URL")
            .stdout(Stdio::piped())
            // COINSWARM_TEST_SERVER_LOG=1 shows the server's log while debugging a test.
            .stderr(if std::env::var_os("COINSWARM_TEST_SERVER_LOG").is_some() {
                Stdio::inherit()
            } else {
                Stdio::null()
            });
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command.spawn().expect("coinswarm up starts");
        let stdout = child.stdout.take().unwrap();
        let (lines_tx, lines_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let deadline = Instant::now() + Duration::from_secs(30);
        let (mut addr, mut admin_key) = (None, None);
        while Instant::now() < deadline {
            let Ok(line) = lines_rx.recv_timeout(Duration::from_millis(200)) else {
                if addr.is_some() {
                    break;
                }
                continue;
            };
            if let Some(rest) = line.strip_prefix("Coinswarm is up: API at http://") {
                addr = rest.split('/').next().and_then(|a| a.parse().ok());
            }
            if let Some(key) = line.strip_prefix("admin API key (shown once, keep it): ") {
                admin_key = Some(key.trim().to_string());
                break;
            }
        }
        let addr = addr.expect("the server printed its address within 30 s");
        let server = Server { child, addr, admin_key, data_dir: data_dir.to_path_buf() };
        server.wait_ready();
        server
    }

    /// Waits (at most 30 s) for `/readyz`.
    pub fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if self.get("/readyz", None).0 == 200 {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("the server never became ready");
    }

    pub fn client(&self) -> Client {
        Client { addr: self.addr }
    }

    pub fn get(&self, path: &str, key: Option<&str>) -> (u16, String) {
        self.request("GET", path, key, None)
    }

    pub fn post(&self, path: &str, key: Option<&str>, body: &str) -> (u16, String) {
        self.request("POST", path, key, Some(body.as_bytes()))
    }

    pub fn delete(&self, path: &str, key: Option<&str>) -> (u16, String) {
        self.request("DELETE", path, key, None)
    }

    pub fn request(&self, method: &str, path: &str, key: Option<&str>, body: Option<&[u8]>) -> (u16, String) {
        self.client().request(method, path, key, body)
    }

    pub fn raw(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, Vec<(String, String)>, String) {
        self.client().raw(method, path, key, body)
    }

    /// SIGTERM, then the exit status (at most 30 s).
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        panic!("the server did not stop within 30 s of SIGTERM");
    }

    /// The process id (e.g. to SIGSTOP it: a server that accepts connections and never answers).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A minimal HTTP/1.1 client: one request per connection. Every answer is checked against
/// the OpenAPI document ([`super::contract`]).
#[derive(Debug, Clone, Copy)]
pub struct Client {
    pub addr: SocketAddr,
}

impl Client {
    /// One request on a fresh connection; returns status (0 when the server is gone) and body.
    pub fn request(&self, method: &str, path: &str, key: Option<&str>, body: Option<&[u8]>) -> (u16, String) {
        let (status, _, body) = self.raw(method, path, key, body);
        (status, body)
    }

    /// Status, headers (lower-cased names) and body.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&[u8]>,
    ) -> (u16, Vec<(String, String)>, String) {
        self.raw_with(method, path, key, &[], body)
    }

    /// The same, with more request headers.
    pub fn raw_with(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        extra: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> (u16, Vec<(String, String)>, String) {
        let Ok(mut stream) = TcpStream::connect(self.addr) else { return (0, Vec::new(), String::new()) };
        stream.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n", self.addr);
        if let Some(key) = key {
            head.push_str(&format!("Authorization: Bearer {key}\r\n"));
        }
        for (name, value) in extra {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        if let Some(body) = body {
            head.push_str(&format!("Content-Type: application/json\r\nContent-Length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        if stream.write_all(head.as_bytes()).is_err() {
            return (0, Vec::new(), String::new());
        }
        if let Some(body) = body {
            let _ = stream.write_all(body);
        }
        let mut response = Vec::new();
        let _ = stream.read_to_end(&mut response);
        let (status, headers, body) = parse_response(&response);
        super::contract::check(method, path, status, &headers, &body);
        (status, headers, body)
    }
}

/// Status (0 when none came), headers (lower-cased names) and body (de-chunked) of a
/// response read to its end.
pub fn parse_response(response: &[u8]) -> (u16, Vec<(String, String)>, String) {
    let text = String::from_utf8_lossy(response).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let mut lines = head.lines();
    let status = lines.next().and_then(|l| l.split_whitespace().nth(1)).and_then(|s| s.parse().ok()).unwrap_or(0);
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect::<Vec<_>>();
    let chunked = headers.iter().any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked { dechunk(body) } else { body.to_string() };
    (status, headers, body)
}

fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, tail)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else { break };
        if size == 0 || tail.len() < size {
            break;
        }
        out.push_str(&tail[..size]);
        rest = tail[size..].trim_start_matches("\r\n");
    }
    out
}

/// `coinswarm keys create` in `data_dir`; returns the secret.
pub fn create_key(data_dir: &Path, account: &str, scope: &str) -> String {
    keys_create(data_dir, &["--account", account, "--scope", scope]).unwrap_or_else(|stderr| panic!("{stderr}"))
}

/// `coinswarm keys create ARGS` in `data_dir`: the secret, or the standard error of a refusal.
pub fn keys_create(data_dir: &Path, args: &[&str]) -> Result<String, String> {
    keys_create_in(data_dir, None, args)
}

/// `coinswarm keys create ARGS` in `data_dir`, or in the PostgreSQL database at `database_url`.
pub fn keys_create_in(data_dir: &Path, database_url: Option<&str>, args: &[&str]) -> Result<String, String> {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coinswarm"));
    command.args(["keys", "create"]).args(args).arg("--data-dir").arg(data_dir).env_remove("COINSWARM_DATABASE_URL");
    if let Some(url) = database_url {
        command.args(["--database-url", url]);
    }
    let output = command.output().unwrap();
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }
    let text = String::from_utf8(output.stdout).unwrap();
    Ok(text.lines().find_map(|l| l.strip_prefix("secret   ")).unwrap().split_whitespace().next().unwrap().to_string())
}
