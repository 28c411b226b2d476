//! `coinswarm backtest --report` and the validators' `--report` opened the way a user opens
//! them: in a browser (headless Chromium), offline, checking that every chart is drawn.

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

/// [`chromium`], or `None` when it is missing and `COINSWARM_SKIP_BROWSER_TESTS` is set: scripts/test
/// installs Chromium, so a missing browser fails the run unless skipping was asked for.
fn chromium_or_skip() -> Option<PathBuf> {
    let found = chromium();
    if found.is_none() {
        assert!(
            std::env::var_os("COINSWARM_SKIP_BROWSER_TESTS").is_some(),
            "Chromium not found: install Debian's chromium (scripts/test does) or set CHROMIUM, \
             or set COINSWARM_SKIP_BROWSER_TESTS=1 to skip this test"
        );
        eprintln!("SKIPPED: Chromium not found and COINSWARM_SKIP_BROWSER_TESTS is set");
    }
    found
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

/// The `<svg id="{id}">` element of `dom`, up to its end.
fn chart<'d>(dom: &'d str, id: &str) -> &'d str {
    let start = dom.find(&format!(r#"<svg id="{id}""#)).unwrap_or_else(|| panic!("no chart {id}"));
    &dom[start..start + dom[start..].find("</svg>").unwrap()]
}

/// The `d` attributes of the `<path class="series …">` elements inside `<svg id="{id}">`.
fn series_paths<'d>(dom: &'d str, id: &str) -> Vec<&'d str> {
    chart(dom, id)
        .split("<path ")
        .skip(1)
        .filter(|path| path.starts_with(r#"class="series"#))
        .map(|path| {
            let d = &path[path.find(" d=\"").expect("a d attribute") + 4..];
            &d[..d.find('"').unwrap()]
        })
        .collect()
}

/// Runs `coinswarm validate {args} --report {page}`; asserts it succeeds and returns the page.
fn validator_page(args: &[&str], page: &Path) -> String {
    let output =
        Command::cargo_bin("coinswarm").unwrap().arg("validate").args(args).arg("--report").arg(page).output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(String::from_utf8_lossy(&output.stderr).contains("report written to"));
    std::fs::read_to_string(page).unwrap()
}

#[test]
fn the_html_report_renders_its_charts_and_metrics_in_offline_chromium() {
    let Some(chromium) = chromium_or_skip() else { return };
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

#[test]
fn the_validator_reports_draw_their_charts_in_offline_chromium() {
    let dir = std::env::temp_dir().join(format!("coinswarm-validate-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (folds, windows) = (dir.join("folds.html"), dir.join("windows.html"));
    let data = ["--data", "bitfinex-btcusd-1h", "--strategy", "sma-cross"];
    let walk = validator_page(&[&["walk-forward"][..], &data].concat(), &folds);
    let random = validator_page(&[&["random-window"][..], &data, &["--windows", "20"]].concat(), &windows);
    // The written pages: both bars of each of the 5 folds, the equity line, every histogram.
    for (page, id, bars) in [
        (&walk, "folds-chart", 10),
        (&random, "windows-chart", 1),
        (&random, "windows-return-chart", 1),
        (&random, "windows-drawdown-chart", 1),
    ] {
        assert!(chart(page, id).matches(r#"<rect class="bar"#).count() >= bars, "{id}");
    }
    assert_eq!(series_paths(&walk, "oos-equity-chart").len(), 1);
    assert!(walk.contains(r#"<table id="chosen-table">"#) && walk.contains("fast="));
    assert!(random.contains(r#"<line class="mark""#) && random.contains("robust"));

    if let Some(chromium) = chromium_or_skip() {
        let dom = dump_dom(&chromium, &folds, &dir);
        assert_eq!(chart(&dom, "folds-chart").matches(r#"<rect class="bar"#).count(), 10);
        let equity = series_paths(&dom, "oos-equity-chart");
        assert!(equity.len() == 1 && equity[0].matches('L').count() == 5, "{equity:?}");
        let dom = dump_dom(&chromium, &windows, &dir);
        assert!(chart(&dom, "windows-chart").contains(r#"<rect class="bar windows""#));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
