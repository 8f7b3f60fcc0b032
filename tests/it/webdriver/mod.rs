//! A small W3C WebDriver client for the end-to-end tests: it starts `tauri-driver` (which starts
//! WebKitWebDriver, which starts the `hoist` binary in a real window), opens a session and speaks
//! the handful of endpoints the tests need. JSON over HTTP/1.1 with reqwest; every wait has a
//! deadline. Dropping a [`Driver`] ends the session and stops tauri-driver's whole process group.

use serde_json::{Value, json};
use std::future::Future;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A WebDriver element reference.
#[derive(Debug, Clone)]
pub struct Element(String);

const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Driver {
    http: reqwest::Client,
    base: String,
    session: String,
    driver: Child,
}

/// A free loopback port (bound, read, released).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

impl Driver {
    /// Starts tauri-driver with `env` added (the app inherits it) and opens a session on
    /// `application`. `log` receives tauri-driver's and the app's output.
    pub async fn start(application: &Path, env: &[(&str, &Path)], log: &Path) -> Driver {
        let port = free_port();
        let native_port = free_port();
        let log_file = std::fs::File::create(log).expect("driver log");
        let mut command = Command::new("tauri-driver");
        command
            .args(["--port", &port.to_string()])
            .args(["--native-port", &native_port.to_string()])
            .stdin(Stdio::null())
            .stdout(log_file.try_clone().expect("log"))
            .stderr(log_file);
        for (name, value) in env {
            command.env(name, value);
        }
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let driver = command
            .spawn()
            .expect("tauri-driver starts (is it installed?)");
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .expect("http client");
        let base = format!("http://127.0.0.1:{port}");
        let mut this = Driver {
            http,
            base,
            session: String::new(),
            driver,
        };
        let ready = wait_until(Duration::from_secs(30), || async {
            this.http
                .get(format!("{}/status", this.base))
                .send()
                .await
                .is_ok()
        })
        .await;
        assert!(
            ready,
            "tauri-driver did not answer on port {port}; see {}",
            log.display()
        );
        let caps = json!({
            "capabilities": {
                "alwaysMatch": {
                    "tauri:options": { "application": application }
                }
            }
        });
        let answer = this.post("/session", caps).await;
        this.session = answer["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session id in {answer}"))
            .to_string();
        this
    }

    async fn request(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let url = if path.starts_with("/session") && !self.session.is_empty() {
            format!("{}/session/{}{}", self.base, self.session, &path[8..])
        } else {
            format!("{}{}", self.base, path)
        };
        let mut request = self.http.request(method, &url);
        if let Some(body) = body {
            request = request
                .header("content-type", "application/json")
                .body(body.to_string());
        }
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        let status = response.status();
        let text = response.text().await.expect("webdriver answer");
        let value: Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{url}: {status}: not JSON ({e}): {text}"));
        assert!(status.is_success(), "{url}: {status}: {text}");
        value["value"].clone()
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.request(reqwest::Method::POST, path, Some(body)).await
    }

    async fn get(&self, path: &str) -> Value {
        self.request(reqwest::Method::GET, path, None).await
    }

    /// Runs `script` in the page (a function body; `arguments` holds `args`) and returns its
    /// value. A returned promise is awaited.
    pub async fn execute(&self, script: &str, args: Value) -> Value {
        let body = json!({ "script": script, "args": args });
        self.post("/session/execute/sync", body).await
    }

    /// The window's size in pixels (WebDriver's window rect).
    pub async fn window_size(&self) -> (u64, u64) {
        let rect = self.get("/session/window/rect").await;
        (
            rect["width"].as_u64().unwrap_or_default(),
            rect["height"].as_u64().unwrap_or_default(),
        )
    }

    /// Asks for a window size (the window manager, or its absence, may round it).
    pub async fn set_window_size(&self, width: u64, height: u64) {
        self.post(
            "/session/window/rect",
            json!({ "width": width, "height": height }),
        )
        .await;
    }

    /// Every element matching `css`, right now.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        let found = self
            .post(
                "/session/elements",
                json!({ "using": "css selector", "value": css }),
            )
            .await;
        found
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item[ELEMENT_KEY].as_str())
                    .map(|id| Element(id.to_string()))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The first element matching `css`, waiting up to `limit` for one to appear.
    pub async fn find(&self, css: &str, limit: Duration) -> Element {
        let deadline = Instant::now() + limit;
        loop {
            if let Some(element) = self.find_all(css).await.into_iter().next() {
                return element;
            }
            assert!(
                Instant::now() < deadline,
                "no element matches `{css}` after {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, element: &Element) {
        self.post(&format!("/session/element/{}/click", element.0), json!({}))
            .await;
    }

    pub async fn text(&self, element: &Element) -> String {
        self.get(&format!("/session/element/{}/text", element.0))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Clears a text field and types `text` into it.
    pub async fn type_into(&self, element: &Element, text: &str) {
        self.post(&format!("/session/element/{}/clear", element.0), json!({}))
            .await;
        self.post(
            &format!("/session/element/{}/value", element.0),
            json!({ "text": text }),
        )
        .await;
    }

    /// The whole page's rendered text (`innerText`: WebKitWebDriver's element text leaves some
    /// text nodes out).
    pub async fn page_text(&self) -> String {
        self.execute("return document.body.innerText;", json!([]))
            .await
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// How many top-level windows the session sees.
    pub async fn window_handles(&self) -> usize {
        self.get("/session/window/handles")
            .await
            .as_array()
            .map_or(0, Vec::len)
    }

    /// A PNG of the window's content, written to `path`, after the page has drawn what it
    /// shows now (two animation frames: a shot taken at once could show the view before).
    pub async fn screenshot(&self, path: &Path) {
        use base64::Engine;
        self.execute(
            "return new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(() => done(true))));",
            json!([]),
        )
        .await;
        let encoded = self.get("/session/screenshot").await;
        let png = base64::engine::general_purpose::STANDARD
            .decode(encoded.as_str().expect("base64 screenshot"))
            .expect("valid base64");
        std::fs::write(path, png).expect("screenshot written");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Ending the session closes the app; then stop tauri-driver and WebKitWebDriver.
        if !self.session.is_empty() {
            let url = format!("{}/session/{}", self.base, self.session);
            let http = self.http.clone();
            let ended = std::thread::spawn(move || {
                tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map(|rt| {
                        rt.block_on(async {
                            tokio::time::timeout(Duration::from_secs(10), http.delete(url).send())
                                .await
                        })
                    })
            });
            let _ = ended.join();
        }
        let group = format!("-{}", self.driver.id());
        let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
        let _ = self.driver.wait();
    }
}

/// Polls `check` every 100 ms until it is true or `limit` passes; returns whether it held.
pub async fn wait_until<F, Fut>(limit: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + limit;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
