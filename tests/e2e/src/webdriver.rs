//! The few W3C WebDriver calls the scenario needs, over plain HTTP to
//! tauri-driver (which hands them to WebKitWebDriver).

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
}

pub struct Element<'a> {
    session: &'a Session,
    id: String,
}

impl Session {
    /// Starts the app at `application`, with `args`, through the driver at `driver`.
    pub fn start(driver: &str, application: &str, args: &[&str]) -> Result<Self> {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let http = reqwest::blocking::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let options = json!({"application": application, "args": args});
        let caps = json!({"capabilities": {"alwaysMatch": {"tauri:options": options}}});
        // tauri-driver may answer before WebKitWebDriver behind it listens: try again briefly.
        let mut tries = 0;
        let reply: Value = loop {
            match http.post(format!("{driver}/session")).json(&caps).send() {
                Ok(reply) => break reply.json()?,
                Err(_) if tries < 5 => {
                    tries += 1;
                    std::thread::sleep(Duration::from_secs(1));
                }
                Err(err) => return Err(err.into()),
            }
        };
        let id = reply["value"]["sessionId"].as_str().with_context(|| format!("no session: {reply}"))?;
        Ok(Self { http, base: format!("{driver}/session/{id}") })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Result<Value> {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.parse()?, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let reply: Value = request.send()?.json()?;
        if let Some(error) = reply["value"]["error"].as_str() {
            bail!("{method} {path}: {error}: {}", reply["value"]["message"]);
        }
        Ok(reply["value"].clone())
    }

    /// Waits up to 10 s for an element matching the XPath.
    pub fn find(&self, xpath: &str) -> Result<Element<'_>> {
        self.find_within(xpath, Duration::from_secs(10))
    }

    pub fn find_within(&self, xpath: &str, wait: Duration) -> Result<Element<'_>> {
        let deadline = Instant::now() + wait;
        loop {
            let found = self.call("POST", "/element", Some(json!({"using": "xpath", "value": xpath})));
            match found {
                Ok(value) => {
                    let id = value[ELEMENT].as_str().context("element id")?.to_owned();
                    return Ok(Element { session: self, id });
                }
                Err(err) if Instant::now() > deadline => {
                    return Err(err.context(format!("waiting for {xpath}")));
                }
                Err(_) => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The button with this exact text.
    pub fn button(&self, text: &str) -> Result<Element<'_>> {
        self.find(&format!("//button[normalize-space()={}]", literal(text)))
    }

    /// The input with this accessible label (aria-label or enclosing label).
    pub fn input(&self, label: &str) -> Result<Element<'_>> {
        self.find(&format!(
            "//input[@aria-label='{label}'] | //label[normalize-space(text())='{label}']//input"
        ))
    }

    /// Waits up to 10 s until the page's text contains `text`.
    pub fn wait_text(&self, text: &str) -> Result<()> {
        self.find(&format!("//*[contains(normalize-space(.), \"{text}\")]")).map(|_| ())
    }

    /// The accessible label (aria-label) of the element with the focus.
    pub fn active_label(&self) -> Result<Option<String>> {
        let label = self.eval("return document.activeElement?.getAttribute('aria-label') ?? ''")?;
        Ok(Some(label).filter(|label| !label.is_empty()))
    }

    pub fn page_text(&self) -> Result<String> {
        self.eval("return document.body.innerText")
    }

    /// Runs `script` in the page; its string result.
    pub fn eval(&self, script: &str) -> Result<String> {
        let value = self.call("POST", "/execute/sync", Some(json!({"script": script, "args": []})))?;
        Ok(value.as_str().unwrap_or_default().to_owned())
    }

    /// The handles of the app's windows the driver sees.
    pub fn windows(&self) -> Result<Vec<String>> {
        let handles = self.call("GET", "/window/handles", None)?;
        Ok(handles.as_array().into_iter().flatten().filter_map(|h| h.as_str().map(str::to_owned)).collect())
    }

    pub fn window(&self) -> Result<String> {
        Ok(self.call("GET", "/window", None)?.as_str().unwrap_or_default().to_owned())
    }

    pub fn switch_to(&self, handle: &str) -> Result<()> {
        self.call("POST", "/window", Some(json!({ "handle": handle }))).map(|_| ())
    }

    pub fn end(self) -> Result<()> {
        self.http.delete(&self.base).send()?;
        Ok(())
    }
}

impl Element<'_> {
    /// Centred in its scrolling pane first: the driver scrolls an element
    /// only just into view, where the window's status bar can cover it.
    pub fn click(&self) -> Result<&Self> {
        let element = json!({ ELEMENT: self.id, "ELEMENT": self.id });
        let centre = json!({ "script": "arguments[0].scrollIntoView({block: 'center'})", "args": [element] });
        self.session.call("POST", "/execute/sync", Some(centre))?;
        self.session.call("POST", &format!("/element/{}/click", self.id), Some(json!({})))?;
        Ok(self)
    }

    pub fn type_text(&self, text: &str) -> Result<&Self> {
        self.session.call("POST", &format!("/element/{}/value", self.id), Some(json!({"text": text})))?;
        Ok(self)
    }

    /// Erases what the field holds and types `text`, with real key events
    /// (WebDriver's own "clear" fires no input event for the UI to see).
    pub fn replace(&self, text: &str) -> Result<&Self> {
        let current = self.session.call("GET", &format!("/element/{}/property/value", self.id), None)?;
        let length = current.as_str().map_or(0, |value| value.chars().count());
        // End, then one Backspace per character.
        self.type_text(&format!("\u{E010}{}{text}", "\u{E003}".repeat(length)))
    }
}

/// `text` as an XPath 1.0 string literal (which has no escapes: the quote
/// not in the text delimits it).
fn literal(text: &str) -> String {
    if text.contains('\'') { format!("\"{text}\"") } else { format!("'{text}'") }
}
