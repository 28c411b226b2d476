//! Headless Chromium driven over the Chrome DevTools Protocol, for tests that use a page as a
//! person would: type into fields, press buttons, wait for what appears, take screenshots.
//! Only loopback is reachable from the browser (every other host fails to resolve), and
//! every request the page makes is recorded.

#![allow(dead_code)]

use serde_json::{Value, json};
use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::stream::MaybeTlsStream;
use tokio_tungstenite::tungstenite::{Message, WebSocket};

/// One browser with one page.
pub struct Browser {
    child: Child,
    socket: WebSocket<MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
    /// Every URL the page requested, in order.
    pub requests: Vec<String>,
    /// The page's uncaught exceptions and logged errors (a blocked script or connection, a
    /// console error), except failed requests, which a page may expect (a refused order).
    pub errors: Vec<String>,
}

impl Browser {
    /// Starts Chromium (`chromium`, see `browser::chromium_or_skip`) with a `width` × `height`
    /// window and a profile under `dir`, and opens a blank page.
    pub fn start(chromium: &Path, dir: &Path, width: u32, height: u32) -> Browser {
        std::fs::create_dir_all(dir).unwrap();
        let mut child = Command::new(chromium)
            .args(["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            .args(["--disable-component-update", "--no-first-run", "--disable-sync", "--hide-scrollbars"])
            // No network but loopback: any other host fails to resolve.
            .arg("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1")
            .arg("--remote-debugging-port=0")
            .arg(format!("--window-size={width},{height}"))
            .arg(format!("--user-data-dir={}", dir.join("profile").display()))
            .arg("about:blank")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chromium starts");
        // Chromium prints "DevTools listening on ws://…" once it is ready.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                panic!("chromium did not open its DevTools endpoint within 30 s");
            }
        };
        let (socket, _) = tokio_tungstenite::tungstenite::connect(url.as_str()).expect("DevTools connects");
        if let MaybeTlsStream::Plain(stream) = socket.get_ref() {
            stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        }
        let mut browser =
            Browser { child, socket, session: String::new(), next_id: 0, requests: Vec::new(), errors: Vec::new() };
        let target = browser.call("Target.createTarget", json!({"url": "about:blank"}));
        let target_id = target["targetId"].as_str().unwrap().to_string();
        let attached = browser.call("Target.attachToTarget", json!({"targetId": target_id, "flatten": true}));
        browser.session = attached["sessionId"].as_str().unwrap().to_string();
        browser.call("Page.enable", json!({}));
        browser.call("Network.enable", json!({}));
        browser.call("Runtime.enable", json!({}));
        browser.call("Log.enable", json!({}));
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        );
        browser
    }

    /// Sends a command (to the page once attached) and returns its result; panics on an error.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut message = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            message["sessionId"] = json!(self.session);
        }
        self.socket.send(Message::Text(message.to_string().into())).expect("DevTools takes the command");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let text = match self.socket.read().expect("DevTools answers") {
                Message::Text(text) => text,
                _ => continue,
            };
            let reply: Value = serde_json::from_str(&text).unwrap();
            let params = &reply["params"];
            match reply["method"].as_str() {
                Some("Network.requestWillBeSent") => {
                    self.requests.push(params["request"]["url"].as_str().unwrap_or_default().to_string());
                }
                Some("Runtime.exceptionThrown") => self.errors.push(params["exceptionDetails"].to_string()),
                Some("Runtime.consoleAPICalled") if params["type"] == "error" => {
                    self.errors.push(params["args"].to_string())
                }
                Some("Log.entryAdded")
                    if params["entry"]["level"] == "error" && params["entry"]["source"] != "network" =>
                {
                    self.errors.push(params["entry"]["text"].to_string());
                }
                _ => {}
            }
            if reply["id"] == id {
                assert!(reply.get("error").is_none(), "{method} failed: {}", reply["error"]);
                return reply["result"].clone();
            }
        }
        panic!("{method}: no answer within 60 s");
    }

    pub fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}));
    }

    /// The value of a JavaScript expression in the page (awaited when it is a promise).
    pub fn eval(&mut self, expression: &str) -> Value {
        let result = self
            .call("Runtime.evaluate", json!({"expression": expression, "returnByValue": true, "awaitPromise": true}));
        assert!(result.get("exceptionDetails").is_none(), "{expression} threw: {}", result["exceptionDetails"]);
        result["result"]["value"].clone()
    }

    /// Waits (at most `within`) until `expression` is truthy; panics with `what` and the page's
    /// state otherwise.
    pub fn wait_for(&mut self, what: &str, expression: &str, within: Duration) -> Value {
        let deadline = Instant::now() + within;
        loop {
            let value =
                self.eval(&format!("(() => {{ try {{ return {expression}; }} catch (e) {{ return null; }} }})()"));
            let truthy = match &value {
                Value::Null => false,
                Value::Bool(b) => *b,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            if Instant::now() > deadline {
                let state = self.eval("document.body ? document.body.innerText.slice(0, 3000) : ''");
                panic!("{what}: not seen within {within:?}; the page shows:\n{}", state.as_str().unwrap_or_default());
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Types `text` into the field `#id` as a person would (focus, replace, input event).
    pub fn type_into(&mut self, id: &str, text: &str) {
        let script = format!(
            "(() => {{ const el = document.getElementById({id}); el.focus(); el.value = {text}; \
             el.dispatchEvent(new Event('input', {{bubbles: true}})); el.dispatchEvent(new Event('change', {{bubbles: true}})); return true; }})()",
            id = json!(id),
            text = json!(text)
        );
        assert_eq!(self.eval(&script), json!(true), "#{id} exists");
    }

    /// Presses the button matching the CSS `selector` with a real mouse click at its centre.
    pub fn click(&mut self, selector: &str) {
        let script = format!(
            "(() => {{ const el = document.querySelector({selector}); if (!el || el.disabled) return null; \
             el.scrollIntoView({{block: 'center'}}); const r = el.getBoundingClientRect(); \
             return [r.x + r.width / 2, r.y + r.height / 2]; }})()",
            selector = json!(selector)
        );
        let at = self.eval(&script);
        let (x, y) = match at.as_array() {
            Some(xy) => (xy[0].as_f64().unwrap(), xy[1].as_f64().unwrap()),
            None => panic!("no enabled {selector} to press"),
        };
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({"type": kind, "x": x, "y": y, "button": "left", "clickCount": 1}),
            );
        }
    }

    /// A PNG of what the window shows.
    pub fn screenshot(&mut self) -> Vec<u8> {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}));
        base64_decode(shot["data"].as_str().unwrap())
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(text).expect("DevTools sends base64")
}
