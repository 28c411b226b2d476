//! Headless Chromium for page tests (scripts/test installs Debian's `chromium`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Chromium's path (`CHROMIUM`, else the first of chromium, chromium-browser, google-chrome on
/// PATH), or `None` when missing and `COINSWARM_SKIP_BROWSER_TESTS` is set.
pub fn chromium_or_skip() -> Option<PathBuf> {
    let found = std::env::var_os("CHROMIUM").map(PathBuf::from).or_else(|| {
        let path = std::env::var_os("PATH")?;
        ["chromium", "chromium-browser", "google-chrome"]
            .iter()
            .flat_map(|name| std::env::split_paths(&path).map(move |dir| dir.join(name)))
            .find(|candidate| candidate.is_file())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("COINSWARM_SKIP_BROWSER_TESTS").is_some(),
            "Chromium not found: install Debian's chromium (scripts/test does) or set CHROMIUM"
        );
    }
    found
}

/// The DOM of `url` after `virtual_ms` of the page's own (virtual) time, at most 60 s of real time.
pub fn dump_dom(chromium: &Path, url: &str, dir: &Path, virtual_ms: u64) -> String {
    std::fs::create_dir_all(dir).unwrap();
    let dom_file = dir.join("dom.html");
    let mut child = std::process::Command::new(chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        .args(["--disable-component-update", "--no-first-run", "--disable-sync"])
        .arg(format!("--user-data-dir={}", dir.join("profile").display()))
        .arg(format!("--virtual-time-budget={virtual_ms}"))
        .arg("--dump-dom")
        .arg(url)
        .stdout(std::fs::File::create(&dom_file).unwrap())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    std::fs::read_to_string(dom_file).unwrap()
}
