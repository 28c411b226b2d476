//! Progress bars on long work, driven as a user would: `validate` on a terminal (a
//! pseudo-terminal from util-linux `script`) draws its bar on standard error, with the
//! count, the rate and the time left; piped, or with `--json`, nothing but the output
//! itself appears: no bar, no carriage-return redraws, no escape sequences.

use std::io::Read;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The quickest real validation: ten random windows of the bundled daily bars.
const VALIDATE: [&str; 12] = [
    "validate",
    "random-window",
    "--data",
    "bitstamp-daily",
    "--product",
    "BTC-USD",
    "--strategy",
    "sma-cross",
    "--windows",
    "10",
    "--seed",
    "3",
];

/// The bar's label for the runs of `random-window`.
const LABEL: &str = "random windows";

/// Longest any run here may take before it is killed and the test fails.
const TIMEOUT: Duration = Duration::from_secs(120);

/// Runs `command` to the end (or kills it after [`TIMEOUT`]), collecting both streams.
fn run_bounded(mut command: Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {command:?}: {e}"));
    let drain = |mut stream: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            stream.read_to_end(&mut bytes).unwrap();
            bytes
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} took longer than {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Output { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap() }
}

/// `word` quoted for `sh`.
fn shell_quoted(word: &str) -> String {
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// Runs the binary with `args` on a pseudo-terminal (standard output and error both on it)
/// and returns what the terminal received.
fn on_a_terminal(args: &[&str]) -> String {
    let probe = Command::new("script").arg("--version").output();
    assert!(
        probe.as_ref().is_ok_and(|out| out.status.success()),
        "util-linux `script` is needed to run a command on a pseudo-terminal (Debian: bsdutils): {probe:?}"
    );
    let line: Vec<String> =
        std::iter::once(env!("CARGO_BIN_EXE_coinswarm")).chain(args.iter().copied()).map(shell_quoted).collect();
    let mut script = Command::new("script");
    script.args(["-qec", &line.join(" "), "/dev/null"]);
    let output = run_bounded(script);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{text}{}", String::from_utf8_lossy(&output.stderr));
    text
}

/// Runs the binary with `args`, its standard output and error piped.
fn piped(args: &[&str]) -> (String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_coinswarm"));
    command.args(args);
    let output = run_bounded(command);
    let (stdout, stderr) = (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert!(output.status.success(), "{stdout}{stderr}");
    (stdout, stderr)
}

/// Whether `text` holds a count of the ten windows, like `3/10`.
fn counts_windows(text: &str) -> bool {
    text.match_indices("/10").any(|(at, _)| text[..at].ends_with(|c: char| c.is_ascii_digit()))
}

fn assert_no_bar(stream: &str, text: &str) {
    assert!(!text.contains(LABEL), "a bar on {stream}: {text:?}");
    assert!(!text.contains("ETA"), "a bar on {stream}: {text:?}");
    assert!(!text.contains('\r'), "a carriage return on {stream}: {text:?}");
    assert!(!text.contains('\x1b'), "an escape sequence on {stream}: {text:?}");
}

#[test]
fn validate_draws_its_bar_with_count_rate_and_eta_on_a_terminal() {
    let terminal = on_a_terminal(&VALIDATE);
    assert!(terminal.contains(LABEL), "no bar: {terminal:?}");
    assert!(counts_windows(&terminal), "no count of the ten windows: {terminal:?}");
    assert!(terminal.contains("/s, ETA "), "no rate and time left: {terminal:?}");
    // The report follows the bar, which has cleared itself.
    assert!(terminal.contains("passed             "), "{terminal:?}");
}

#[test]
fn piped_validate_output_holds_no_bar() {
    let (stdout, stderr) = piped(&VALIDATE);
    assert!(stdout.contains("random-window sma-cross(10,30) on bitstamp-daily"), "{stdout}");
    assert_no_bar("standard output", &stdout);
    assert_no_bar("standard error", &stderr);
}

#[test]
fn json_output_holds_no_bar_piped_or_on_a_terminal() {
    let json = [&VALIDATE[..], &["--json", "-"]].concat();
    let (stdout, stderr) = piped(&json);
    assert_no_bar("standard output", &stdout);
    assert_no_bar("standard error", &stderr);
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["windows"].as_array().unwrap().len(), 10);

    // On a terminal too: `--json` is for programs, which a bar would break. The terminal
    // turns each newline into CR LF; nothing else may differ from the piped JSON.
    let terminal = on_a_terminal(&json);
    assert!(!terminal.contains(LABEL) && !terminal.contains('\x1b'), "a bar beside JSON: {terminal:?}");
    let report_there: serde_json::Value = serde_json::from_str(&terminal.replace("\r\n", "\n")).unwrap();
    assert_eq!(report_there, report);
}
