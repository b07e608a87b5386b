//! Fault injection for one listener, set at run time through the admin routes:
//! added latency, a 5xx rate, 429 bursts with Retry-After, dropped connections
//! (after the request was applied: the ambiguous case a client must survive),
//! "fail the next N requests", "cut the next N replies", Runloop's cut-off
//! listings and a Runtype submit answered `success: false`. Admin routes are
//! never faulted.

use std::{
    sync::Mutex,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use axum::{
    body::{Body, Bytes},
    extract::{Request, State},
    http::StatusCode,
    middleware::Next,
    response::{IntoResponse, Response},
};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::{ApiError, AppState};

#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct FaultConfig {
    /// Added to every request.
    pub latency_ms: u64,
    /// Share of requests (0..=1) answered with `error_status` before they run.
    pub error_rate: f64,
    /// 500, 502, 503 or 504 (default 503).
    pub error_status: Option<u16>,
    /// The next N requests get 429 with `Retry-After: retry_after_s`.
    pub burst_429: u32,
    pub retry_after_s: Option<u64>,
    /// Share of requests (0..=1) whose connection drops after they were applied.
    pub drop_rate: f64,
    /// The next N requests fail with `fail_next_status` (default 500).
    pub fail_next: u32,
    pub fail_next_status: Option<u16>,
    /// Runloop: listings cut at this many secrets (`has_more`, with
    /// `total_count`), as the service cuts them at 5,000.
    pub list_limit: Option<u32>,
    /// The next N requests are applied, then their reply is cut (a lost answer).
    pub drop_next: u32,
    /// Runtype: the next intake submit answers `success: false`, applying nothing.
    pub intake_success_false: bool,
}

impl FaultConfig {
    pub fn validate(&self) -> Result<(), String> {
        let rate = |name: &str, value: f64| {
            if (0.0..=1.0).contains(&value) { Ok(()) } else { Err(format!("{name} must be between 0 and 1")) }
        };
        rate("error_rate", self.error_rate)?;
        rate("drop_rate", self.drop_rate)?;
        for (name, status) in
            [("error_status", self.error_status), ("fail_next_status", self.fail_next_status)]
        {
            if status.is_some_and(|code| !(400..=599).contains(&code)) {
                return Err(format!("{name} must be an HTTP error status (400-599)"));
            }
        }
        if self.latency_ms > 60_000 {
            return Err("latency_ms is at most 60000".into());
        }
        Ok(())
    }
}

#[derive(Default)]
pub(crate) struct Faults {
    config: Mutex<FaultConfig>,
    /// Requests seen by the API routes of this listener (for request-count assertions).
    requests: AtomicU64,
}

/// What happens to one request.
struct Draw {
    delay: Duration,
    fail: Option<(StatusCode, Option<u64>)>,
    drop_after: bool,
}

impl Faults {
    pub fn set(&self, config: FaultConfig) {
        *self.config.lock().unwrap_or_else(|p| p.into_inner()) = config;
    }

    pub fn get(&self) -> FaultConfig {
        self.config.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Whether this intake submit is to answer `success: false` (once).
    pub fn take_success_false(&self) -> bool {
        std::mem::take(&mut self.config.lock().unwrap_or_else(|p| p.into_inner()).intake_success_false)
    }

    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    pub fn reset_requests(&self) {
        self.requests.store(0, Ordering::Relaxed);
    }

    fn draw(&self) -> Draw {
        self.requests.fetch_add(1, Ordering::Relaxed);
        let mut config = self.config.lock().unwrap_or_else(|p| p.into_inner());
        let mut rng = rand::thread_rng();
        let status = |code: Option<u16>, default: StatusCode| {
            code.and_then(|c| StatusCode::from_u16(c).ok()).unwrap_or(default)
        };
        let fail = if config.fail_next > 0 {
            config.fail_next -= 1;
            Some((status(config.fail_next_status, StatusCode::INTERNAL_SERVER_ERROR), None))
        } else if config.burst_429 > 0 {
            config.burst_429 -= 1;
            Some((StatusCode::TOO_MANY_REQUESTS, Some(config.retry_after_s.unwrap_or(1))))
        } else if config.error_rate > 0.0 && rng.gen_bool(config.error_rate) {
            Some((status(config.error_status, StatusCode::SERVICE_UNAVAILABLE), None))
        } else {
            None
        };
        let drop_next = fail.is_none() && config.drop_next > 0;
        if drop_next {
            config.drop_next -= 1;
        }
        let drop_after =
            drop_next || (fail.is_none() && config.drop_rate > 0.0 && rng.gen_bool(config.drop_rate));
        Draw { delay: Duration::from_millis(config.latency_ms), fail, drop_after }
    }
}

pub(crate) async fn inject(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let draw = state.faults.draw();
    if !draw.delay.is_zero() {
        tokio::time::sleep(draw.delay).await;
    }
    if let Some((status, retry_after_s)) = draw.fail {
        let mut error = ApiError::new(state.dialect, status, "fault injected by the emulator");
        error.retry_after_s = retry_after_s;
        return error.into_response();
    }
    let response = next.run(request).await;
    if draw.drop_after {
        return dropped();
    }
    response
}

/// A response whose body fails at once: the connection is cut and the client
/// never sees a complete reply, though the request took effect.
fn dropped() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped by the emulator"))
    });
    Response::new(Body::from_stream(failing))
}
