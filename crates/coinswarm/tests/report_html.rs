//! `coinswarm backtest --report` opened the way a user opens it: in a browser (headless
//! Chromium), offline, checking that every chart is drawn.

use assert_cmd::Command;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Longest a Chromium run may take before the test gives up on it.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(60);

/// Chromium's binary: `$CHROMIUM`, else the first of the usual names on `PATH`.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    ["chromium", "chromium-browser", "google-chrome"]
        .iter()
        .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// The DOM Chromium builds from `page`, with every network feature it would use on its own
/// switched off. Panics if Chromium fails or does not finish within [`CHROMIUM_TIMEOUT`].
fn dump_dom(chromium: &Path, page: &Path, dir: &Path) -> String {
    let dom_file = dir.join("dom.html");
    let mut child = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--no-first-run", "--disable-sync"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg("--dump-dom")
        .arg(format!("file://{}", page.display()))
        // To a file, not a pipe: a DOM larger than the pipe buffer would block Chromium.
        .stdout(std::fs::File::create(&dom_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + CHROMIUM_TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within {CHROMIUM_TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(status.success(), "chromium failed: {status}");
    std::fs::read_to_string(dom_file).unwrap()
}

/// The `d` attributes of the `<path class="series …">` elements inside `<svg id="{id}">`.
fn series_paths<'d>(dom: &'d str, id: &str) -> Vec<&'d str> {
    let start = dom.find(&format!(r#"<svg id="{id}""#)).unwrap_or_else(|| panic!("no chart {id}"));
    let svg = &dom[start..start + dom[start..].find("</svg>").unwrap()];
    svg.split("<path ")
        .skip(1)
        .filter(|path| path.starts_with(r#"class="series"#))
        .map(|path| {
            let d = &path[path.find(" d=\"").expect("a d attribute") + 4..];
            &d[..d.find('"').unwrap()]
        })
        .collect()
}

#[test]
fn the_html_report_renders_its_charts_and_metrics_in_offline_chromium() {
    let Some(chromium) = chromium() else {
        // scripts/test installs Chromium, so a missing browser fails the run unless skipping
        // was asked for explicitly.
        assert!(
            std::env::var_os("COINSWARM_SKIP_BROWSER_TESTS").is_some(),
            "Chromium not found: install Debian's chromium (scripts/test does) or set CHROMIUM, \
             or set COINSWARM_SKIP_BROWSER_TESTS=1 to skip this test"
        );
        eprintln!("SKIPPED: Chromium not found and COINSWARM_SKIP_BROWSER_TESTS is set");
        return;
    };
    let dir = std::env::temp_dir().join(format!("coinswarm-report-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let page = dir.join("r.html");
    let output = Command::cargo_bin("coinswarm")
        .unwrap()
        .args(["backtest", "--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross", "--report"])
        .arg(&page)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("report written to"));

    let dom = dump_dom(&chromium, &page, &dir);
    for id in ["equity-chart", "drawdown-chart", "price-chart"] {
        let paths = series_paths(&dom, id);
        assert!(!paths.is_empty(), "{id} draws no series");
        for d in paths {
            let points = d.matches(['M', 'L']).count();
            assert!(points >= 500, "{id}: a series of only {points} points");
            assert!(!d.contains("NaN"), "{id}: {d}");
        }
    }
    assert!(dom.contains(r#"class="markers entry""#) && dom.contains(r#"class="markers exit""#));
    assert!(dom.contains(r#"<table id="metrics-table">"#) && dom.contains("Sharpe ratio"));
    assert!(dom.contains("8760 bars a year"));
    std::fs::remove_dir_all(&dir).unwrap();
}
