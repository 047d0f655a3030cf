//! A real headless Chromium, driven over the DevTools protocol, for tests of pages the
//! firewall serves (the dashboard, challenge pages).
//!
//! The protocol runs over a websocket that this module speaks itself (text frames, the
//! handshake, ping): no browser-automation crate. Each [`Browser`] has its own
//! temporary profile; dropping it (also when a test panics) kills the browser and
//! removes the profile.
//!
//! ```text
//! mod support;
//! use support::browser::Browser;
//!
//! let Some(mut browser) = Browser::launch() else { return }; // skipped: no chromium
//! browser.goto("http://127.0.0.1:8080/");
//! browser.wait_for("document.title === 'Hello'", std::time::Duration::from_secs(10));
//! assert_eq!(browser.eval("1 + 1"), 2);
//! ```

use base64::Engine;
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long one protocol command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a page may take to load in [`Browser::goto`].
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// The viewport, and so the screenshots' size.
const VIEWPORT: (u32, u32) = (1280, 1100);

/// A headless Chromium with one page open; killed, and its profile removed, on drop.
pub struct Browser {
    child: Child,
    socket: Socket,
    /// The page's session (flat mode: commands to the page carry it).
    session: String,
    next_id: u64,
    // Dropped after `Drop::drop` has killed the browser, so the files are no longer in use.
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts Chromium with a blank page; `None` (with the reason printed) when it is not
    /// installed and `CI` is not `true`. Under `CI=true` a missing browser fails the test:
    /// CI installs it. `WAF_TEST_CHROMIUM` names the binary if it is not `chromium`,
    /// `chromium-browser` or `google-chrome` on the `PATH`.
    pub fn launch() -> Option<Self> {
        let Some(binary) = find_chromium() else {
            let reason = "chromium is not installed (apt-get install chromium)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
            eprintln!("skipped: {reason}");
            return None;
        };
        let profile = tempfile::Builder::new()
            .prefix("waf-test-chromium-")
            .tempdir()
            .expect("a temporary profile directory");
        let mut child = Command::new(&binary)
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-extensions",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-default-apps",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--no-proxy-server",
                "--mute-audio",
                "--hide-scrollbars",
                "--force-device-scale-factor=1",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
            ])
            .arg(format!("--window-size={},{}", VIEWPORT.0, VIEWPORT.1))
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{binary} does not start: {e}"));
        let url = match devtools_url(&mut child) {
            Ok(url) => url,
            Err(error) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("{binary}: {error}");
            }
        };
        let socket = Socket::connect(&url).unwrap_or_else(|e| panic!("DevTools at {url}: {e}"));
        let mut browser = Self {
            child,
            socket,
            session: String::new(),
            next_id: 0,
            _profile: profile,
        };
        let target = browser.call("Target.createTarget", json!({ "url": "about:blank" }));
        let attached = browser.call(
            "Target.attachToTarget",
            json!({ "targetId": target["targetId"], "flatten": true }),
        );
        browser.session = attached["sessionId"]
            .as_str()
            .expect("a session id")
            .to_owned();
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": VIEWPORT.0, "height": VIEWPORT.1, "deviceScaleFactor": 1, "mobile": false }),
        );
        Some(browser)
    }

    /// Opens `url` in the page and waits until it has loaded.
    pub fn goto(&mut self, url: &str) {
        let navigated = self.call("Page.navigate", json!({ "url": url }));
        if let Some(error) = navigated.get("errorText").and_then(Value::as_str) {
            panic!("navigating to {url}: {error}");
        }
        self.wait_for("document.readyState === 'complete'", LOAD_TIMEOUT);
    }

    /// The value of the JavaScript expression `js` in the page (promises awaited);
    /// `null` for `undefined`. An exception fails the test.
    pub fn eval(&mut self, js: &str) -> Value {
        let result = self.call(
            "Runtime.evaluate",
            json!({ "expression": js, "returnByValue": true, "awaitPromise": true }),
        );
        if let Some(exception) = result.get("exceptionDetails") {
            panic!("`{js}` threw: {exception}");
        }
        result["result"]
            .get("value")
            .cloned()
            .unwrap_or(Value::Null)
    }

    /// Evaluates `condition` until it is truthy (not `false`, `null`, `0` or `""`), and
    /// returns that value; fails the test, with the last value, after `timeout`.
    pub fn wait_for(&mut self, condition: &str, timeout: Duration) -> Value {
        let deadline = Instant::now() + timeout;
        loop {
            let value = self.eval(condition);
            let truthy = match &value {
                Value::Null | Value::Bool(false) => false,
                Value::Number(n) => n.as_f64() != Some(0.0),
                Value::String(s) => !s.is_empty(),
                _ => true,
            };
            if truthy {
                return value;
            }
            assert!(
                Instant::now() < deadline,
                "still not true after {timeout:?}: `{condition}` (last value: {value})"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Clicks the middle of the first element matching the CSS `selector`, as a mouse
    /// would (scrolled into view first).
    pub fn click(&mut self, selector: &str) {
        let (x, y) = self.centre(selector);
        for kind in ["mousePressed", "mouseReleased"] {
            self.call(
                "Input.dispatchMouseEvent",
                json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 }),
            );
        }
    }

    /// Focuses the first element matching `selector` and types `text` into it, as a
    /// keyboard would (input events fire).
    pub fn type_text(&mut self, selector: &str, text: &str) {
        let focus = format!("document.querySelector({}).focus()", js_string(selector));
        self.eval(&focus);
        self.call("Input.insertText", json!({ "text": text }));
    }

    /// The value of the cookie `name` that the page's address would send, HttpOnly ones
    /// included (out of the page script's reach, not of DevTools').
    pub fn cookie(&mut self, name: &str) -> Option<String> {
        let cookies = self.call("Network.getCookies", json!({}));
        cookies["cookies"]
            .as_array()?
            .iter()
            .find(|cookie| cookie["name"] == name)
            .and_then(|cookie| cookie["value"].as_str())
            .map(str::to_owned)
    }

    /// Sets the cookie `name` for `url` to `value`, HttpOnly and without an expiry: the
    /// browser keeps sending it whatever the value claims, so the server alone judges it.
    pub fn set_cookie(&mut self, url: &str, name: &str, value: &str) {
        let set = self.call(
            "Network.setCookie",
            json!({ "name": name, "value": value, "url": url, "httpOnly": true, "sameSite": "Lax" }),
        );
        assert_ne!(set["success"], json!(false), "cookie {name} not set");
    }

    /// Saves a PNG of the viewport to `path`, creating its directory.
    pub fn screenshot(&mut self, path: &std::path::Path) {
        let shot = self.call("Page.captureScreenshot", json!({ "format": "png" }));
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("screenshot data"))
            .expect("screenshot data is base64");
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("the screenshot directory");
        }
        std::fs::write(path, png).expect("the screenshot is written");
    }

    /// The viewport coordinates of the middle of the element.
    fn centre(&mut self, selector: &str) -> (f64, f64) {
        let js = format!(
            "(() => {{ const e = document.querySelector({}); if (!e) return null; \
             e.scrollIntoView({{ block: 'center' }}); const r = e.getBoundingClientRect(); \
             return [r.left + r.width / 2, r.top + r.height / 2]; }})()",
            js_string(selector)
        );
        let point = self.eval(&js);
        match (point[0].as_f64(), point[1].as_f64()) {
            (Some(x), Some(y)) => (x, y),
            _ => panic!("no element matches `{selector}`"),
        }
    }

    /// Sends one command (to the page once attached) and returns its result.
    fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut command = json!({ "id": id, "method": method, "params": params });
        if !self.session.is_empty() {
            command["sessionId"] = json!(self.session);
        }
        self.socket
            .send(&command.to_string())
            .unwrap_or_else(|e| panic!("{method}: {e}"));
        let deadline = Instant::now() + COMMAND_TIMEOUT;
        loop {
            assert!(Instant::now() < deadline, "{method}: no answer in time");
            let text = self
                .socket
                .receive()
                .unwrap_or_else(|e| panic!("{method}: {e}"));
            // Events, and answers to nothing we wait for, are skipped.
            let message: Value = serde_json::from_str(&text).expect("DevTools sends JSON");
            if message["id"] != id {
                continue;
            }
            if let Some(error) = message.get("error") {
                panic!("{method}: {error}");
            }
            return message["result"].clone();
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `text` as a JavaScript string literal.
fn js_string(text: &str) -> String {
    Value::from(text).to_string()
}

fn find_chromium() -> Option<String> {
    let named = std::env::var("WAF_TEST_CHROMIUM")
        .ok()
        .filter(|s| !s.is_empty());
    let mut candidates = named.into_iter().chain(
        ["chromium", "chromium-browser", "google-chrome"]
            .into_iter()
            .map(str::to_owned),
    );
    candidates.find(|binary| {
        Command::new(binary)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    })
}

/// The browser's DevTools websocket URL, from the line Chromium prints on stderr; the
/// rest of stderr is drained by a thread so the browser never blocks on it.
fn devtools_url(child: &mut Child) -> Result<String, String> {
    let stderr = child.stderr.take().expect("stderr is piped");
    let (found, url) = mpsc::channel();
    std::thread::spawn(move || {
        let mut found = Some(found);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("DevTools listening on ")
                && let Some(found) = found.take()
            {
                let _ = found.send(url.trim().to_owned());
            }
        }
    });
    url.recv_timeout(Duration::from_secs(30))
        .map_err(|_| "no `DevTools listening on` line within 30 s".to_owned())
}

/// A client websocket: text messages out (masked, as clients must), text messages in.
struct Socket {
    stream: BufReader<TcpStream>,
    mask: u32,
}

impl Socket {
    /// Connects to `ws://host:port/path` and upgrades.
    fn connect(url: &str) -> std::io::Result<Self> {
        let invalid = |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what);
        let rest = url
            .strip_prefix("ws://")
            .ok_or_else(|| invalid("not a ws:// URL"))?;
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let stream = TcpStream::connect(host)?;
        stream.set_read_timeout(Some(COMMAND_TIMEOUT))?;
        stream.set_nodelay(true)?;
        let mut stream = BufReader::new(stream);
        // Any 16 bytes, base64: the browser's answer to it is not checked.
        write!(
            stream.get_mut(),
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: d2FmLXRlc3QtYnJvd3Nlcg==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )?;
        let mut status = String::new();
        stream.read_line(&mut status)?;
        if !status.contains(" 101 ") {
            return Err(invalid(&format!("upgrade refused: {}", status.trim())));
        }
        loop {
            let mut line = String::new();
            if stream.read_line(&mut line)? == 0 || line == "\r\n" {
                break;
            }
        }
        Ok(Self {
            stream,
            mask: 0x5a17_c3e1,
        })
    }

    fn send(&mut self, text: &str) -> std::io::Result<()> {
        self.frame(0x1, text.as_bytes())
    }

    /// One frame with FIN set, masked.
    fn frame(&mut self, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
        let mut frame = vec![0x80 | opcode];
        match payload.len() {
            n if n < 126 => frame.push(0x80 | n as u8),
            n if n <= usize::from(u16::MAX) => {
                frame.push(0x80 | 126);
                frame.extend_from_slice(&(n as u16).to_be_bytes());
            }
            n => {
                frame.push(0x80 | 127);
                frame.extend_from_slice(&(n as u64).to_be_bytes());
            }
        }
        self.mask = self.mask.rotate_left(7) ^ 0x9e37_79b9;
        let mask = self.mask.to_be_bytes();
        frame.extend_from_slice(&mask);
        frame.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i % 4]));
        self.stream.get_mut().write_all(&frame)
    }

    /// The next text message, its fragments joined; pings are answered on the way.
    fn receive(&mut self) -> std::io::Result<String> {
        let mut message = Vec::new();
        loop {
            let mut head = [0u8; 2];
            self.stream.read_exact(&mut head)?;
            let (fin, opcode) = (head[0] & 0x80 != 0, head[0] & 0x0f);
            let len = match head[1] & 0x7f {
                126 => {
                    let mut n = [0u8; 2];
                    self.stream.read_exact(&mut n)?;
                    u64::from(u16::from_be_bytes(n))
                }
                127 => {
                    let mut n = [0u8; 8];
                    self.stream.read_exact(&mut n)?;
                    u64::from_be_bytes(n)
                }
                n => u64::from(n),
            };
            let mut mask = [0u8; 4];
            if head[1] & 0x80 != 0 {
                self.stream.read_exact(&mut mask)?;
            }
            let mut payload = vec![0u8; usize::try_from(len).expect("frame fits in memory")];
            self.stream.read_exact(&mut payload)?;
            for (i, b) in payload.iter_mut().enumerate() {
                *b ^= mask[i % 4];
            }
            match opcode {
                0x0..=0x2 => {
                    message.extend_from_slice(&payload);
                    if fin {
                        return String::from_utf8(message).map_err(|_| {
                            std::io::Error::new(std::io::ErrorKind::InvalidData, "not UTF-8")
                        });
                    }
                }
                0x8 => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "the browser closed the connection",
                    ));
                }
                0x9 => self.frame(0xA, &payload)?,
                _ => {}
            }
        }
    }
}
