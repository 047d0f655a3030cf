//! The answer to a [`Challenge`](waf_core::Action::Challenge) verdict: a page whose
//! JavaScript solves a proof-of-work puzzle, then trades the solution for a signed,
//! expiring pass cookie that lets the client through until it expires.
//!
//! ```
//! use std::time::Duration;
//! use waf_core::Waf;
//! use waf_tower::WafLayer;
//! use waf_tower::challenge::ChallengeSettings;
//!
//! // Every node of a cluster signs with the same secret, so a pass works on all of them.
//! let layer = WafLayer::new(Waf::default()).challenge(ChallengeSettings {
//!     secret: Some(b"32 or more random bytes, shared by the nodes".to_vec()),
//!     difficulty: 18,
//!     pass_ttl: Duration::from_secs(30 * 60),
//!     ..ChallengeSettings::default()
//! });
//! # let _ = layer;
//! ```
//!
//! How it works, and why:
//!
//! - The page carries a puzzle: a seed, `HMAC(secret, client, time issued)`, and a
//!   difficulty `d`. The script looks for a nonce such that `SHA-256(seed ":" nonce)`
//!   starts with `d` zero bits (2^d hashes on average; 16 bits take a browser well under
//!   a second) and posts seed, time and nonce to [`ChallengeSettings::path`]. Seeds are
//!   signed, so the server keeps no state per puzzle, and a seed is only good for the
//!   client it was issued to and for [`ChallengeSettings::solve_within`].
//! - A correct solution gets a cookie `expiry.HMAC(secret, client, expiry)`. A request
//!   in the challenge band that carries a valid, unexpired pass for its client goes on
//!   (as a logged, not a stopped, request); a forged, expired or another client's pass
//!   gets the page again. Deny verdicts are never lifted by a pass.
//! - The hash is written out in the page's script, not taken from WebCrypto, which
//!   browsers only offer to HTTPS pages: the challenge works on plain HTTP too. No
//!   third-party service is involved.

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use http::{HeaderMap, HeaderValue, Response, StatusCode, header};
use http_body_util::Full;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;
use std::net::IpAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How challenges are issued and passes signed.
#[derive(Clone)]
pub struct ChallengeSettings {
    /// The signing key. `None` (the default) draws a random one when the layer is made:
    /// passes then hold for that process only. Give the nodes of a cluster one secret.
    pub secret: Option<Vec<u8>>,
    /// Leading zero bits the solution's hash needs (16 by default; 2^16 hashes on
    /// average). At most 32.
    pub difficulty: u8,
    /// How long a pass lets its client through (1 hour by default).
    pub pass_ttl: Duration,
    /// How long a puzzle may be solved after it was issued (5 minutes by default).
    pub solve_within: Duration,
    /// The pass cookie's name (`waf_pass`).
    pub cookie_name: String,
    /// Where the page posts its solution (`/.waf/challenge`); the middleware answers
    /// there itself.
    pub path: String,
}

impl Default for ChallengeSettings {
    fn default() -> Self {
        Self {
            secret: None,
            difficulty: 16,
            pass_ttl: Duration::from_secs(60 * 60),
            solve_within: Duration::from_secs(5 * 60),
            cookie_name: "waf_pass".into(),
            path: "/.waf/challenge".into(),
        }
    }
}

impl std::fmt::Debug for ChallengeSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The secret stays out of logs.
        f.debug_struct("ChallengeSettings")
            .field("secret", &self.secret.as_ref().map(|_| "<set>"))
            .field("difficulty", &self.difficulty)
            .field("pass_ttl", &self.pass_ttl)
            .field("solve_within", &self.solve_within)
            .field("cookie_name", &self.cookie_name)
            .field("path", &self.path)
            .finish()
    }
}

/// Issues puzzles, checks solutions and passes: [`ChallengeSettings`] with its key.
#[derive(Clone)]
pub(crate) struct Challenger {
    key: Vec<u8>,
    settings: ChallengeSettings,
}

impl std::fmt::Debug for Challenger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.settings.fmt(f)
    }
}

/// Why a posted solution earned no pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The form is not `seed=…&issued=…&nonce=…` with hex, digits and digits.
    Malformed,
    /// The seed was not issued by us to this client at that time.
    ForgedSeed,
    /// The puzzle is older than `solve_within` (or from the future).
    Stale,
    /// The hash does not start with enough zero bits.
    Unsolved,
}

impl Refusal {
    fn message(self) -> &'static str {
        match self {
            Self::Malformed => "The challenge answer is malformed.",
            Self::ForgedSeed => "The challenge was not issued to this client.",
            Self::Stale => "The challenge has expired; reload the page.",
            Self::Unsolved => "The challenge answer is wrong.",
        }
    }
}

impl Challenger {
    /// A challenger with `settings`, drawing a random key when they name none.
    pub(crate) fn new(settings: ChallengeSettings) -> Self {
        let key = settings.secret.clone().unwrap_or_else(random_secret);
        let difficulty = settings.difficulty.min(32);
        Self {
            key,
            settings: ChallengeSettings {
                difficulty,
                ..settings
            },
        }
    }

    /// The path the page posts solutions to.
    pub(crate) fn path(&self) -> &str {
        &self.settings.path
    }

    fn mac(&self, parts: &[&[u8]]) -> Hmac<Sha256> {
        let mut mac =
            <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key).expect("HMAC takes any key");
        for part in parts {
            // Length-prefixed, so that no two part lists sign the same bytes.
            mac.update(&(part.len() as u32).to_be_bytes());
            mac.update(part);
        }
        mac
    }

    fn seed(&self, client: IpAddr, issued: u64) -> String {
        let code = self
            .mac(&[
                b"seed",
                client.to_string().as_bytes(),
                &issued.to_be_bytes(),
            ])
            .finalize()
            .into_bytes();
        hex(&code[..16])
    }

    /// Whether `headers` carry a valid, unexpired pass for `client`.
    pub(crate) fn has_pass(&self, headers: &HeaderMap, client: IpAddr, now: SystemTime) -> bool {
        let now = unix_seconds(now);
        cookies(headers, &self.settings.cookie_name).any(|value| {
            let Some((expiry, code)) = value.split_once('.') else {
                return false;
            };
            let (Ok(expiry), Some(code)) = (expiry.parse::<u64>(), unhex(code)) else {
                return false;
            };
            expiry > now
                && self
                    .mac(&[
                        b"pass",
                        client.to_string().as_bytes(),
                        &expiry.to_be_bytes(),
                    ])
                    .verify_slice(&code)
                    .is_ok()
        })
    }

    /// The pass cookie for `client`, valid for `pass_ttl` from `now`.
    fn pass(&self, client: IpAddr, now: SystemTime) -> String {
        let expiry = unix_seconds(now) + self.settings.pass_ttl.as_secs().max(1);
        let code = self
            .mac(&[
                b"pass",
                client.to_string().as_bytes(),
                &expiry.to_be_bytes(),
            ])
            .finalize()
            .into_bytes();
        format!("{expiry}.{}", hex(&code))
    }

    /// Checks a posted solution (`seed=…&issued=…&nonce=…`) and returns the pass cookie
    /// it earns.
    pub(crate) fn redeem(
        &self,
        form: &[u8],
        client: IpAddr,
        now: SystemTime,
    ) -> Result<String, Refusal> {
        let form = std::str::from_utf8(form).map_err(|_| Refusal::Malformed)?;
        let (mut seed, mut issued, mut nonce) = (None, None, None);
        for pair in form.trim().split('&') {
            match pair.split_once('=') {
                Some(("seed", v)) if v.len() == 32 && v.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    seed = Some(v)
                }
                Some(("issued", v)) => issued = v.parse::<u64>().ok(),
                Some(("nonce", v)) => nonce = v.parse::<u64>().ok(),
                _ => return Err(Refusal::Malformed),
            }
        }
        let (Some(seed), Some(issued), Some(nonce)) = (seed, issued, nonce) else {
            return Err(Refusal::Malformed);
        };
        let expected = self.seed(client, issued);
        // Both are hex of a MAC we made; comparing the MAC-derived seed in constant time.
        if !constant_time_eq(seed.as_bytes(), expected.as_bytes()) {
            return Err(Refusal::ForgedSeed);
        }
        let now_seconds = unix_seconds(now);
        if issued > now_seconds || now_seconds - issued > self.settings.solve_within.as_secs() {
            return Err(Refusal::Stale);
        }
        if leading_zero_bits(seed, nonce) < u32::from(self.settings.difficulty) {
            return Err(Refusal::Unsolved);
        }
        Ok(self.pass(client, now))
    }

    /// The answer to a solution posted to [`path`](Self::path).
    pub(crate) fn answer_solution(
        &self,
        form: &[u8],
        client: IpAddr,
        now: SystemTime,
    ) -> Response<Full<Bytes>> {
        match self.redeem(form, client, now) {
            Ok(pass) => {
                let cookie = format!(
                    "{}={pass}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax",
                    self.settings.cookie_name,
                    self.settings.pass_ttl.as_secs().max(1)
                );
                let mut response = Response::new(Full::new(Bytes::new()));
                *response.status_mut() = StatusCode::NO_CONTENT;
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().insert(header::SET_COOKIE, value);
                }
                response
                    .headers_mut()
                    .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                response
            }
            Err(refusal) => {
                let mut response = Response::new(Full::new(Bytes::from(refusal.message())));
                *response.status_mut() = StatusCode::FORBIDDEN;
                response.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/plain; charset=utf-8"),
                );
                response
            }
        }
    }

    /// The challenge page for `client`, with a fresh puzzle.
    pub(crate) fn page(
        &self,
        client: IpAddr,
        now: SystemTime,
        request_id: &str,
    ) -> Response<Full<Bytes>> {
        let issued = unix_seconds(now);
        let puzzle = serde_json::json!({
            "seed": self.seed(client, issued),
            "issued": issued,
            "difficulty": self.settings.difficulty,
            "path": self.settings.path,
        });
        // `<` escaped: the JSON sits inside a script element.
        let puzzle = puzzle.to_string().replace('<', "\\u003c");
        let html = PAGE
            .replace("{puzzle}", &puzzle)
            .replace("{request_id}", request_id);
        let mut response = Response::new(Full::new(Bytes::from(html)));
        *response.status_mut() = StatusCode::FORBIDDEN;
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

/// The page; `{puzzle}` and `{request_id}` (hex) are filled in.
const PAGE: &str = include_str!("challenge.html");

/// The number of leading zero bits of `SHA-256(seed ":" nonce)`.
fn leading_zero_bits(seed: &str, nonce: u64) -> u32 {
    let digest = Sha256::digest(format!("{seed}:{nonce}").as_bytes());
    let mut bits = 0;
    for byte in digest {
        bits += byte.leading_zeros();
        if byte != 0 {
            break;
        }
    }
    bits
}

/// The values of the cookies named `name`.
fn cookies<'h>(headers: &'h HeaderMap, name: &'h str) -> impl Iterator<Item = &'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(move |pair| {
            let (n, v) = pair.trim().split_once('=')?;
            (n == name).then_some(v)
        })
}

fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// 32 random bytes from the operating system, for [`ChallengeSettings::secret`]: what
/// a layer draws when no secret is set. A program that rebuilds its layers (on a
/// configuration reload) draws one once and passes it to each, so that passes survive.
pub fn random_secret() -> Vec<u8> {
    let mut key = vec![0u8; 32];
    if getrandom::fill(&mut key).is_err() {
        // No OS randomness (practically never on the targets we run on): a key from the
        // std hasher's per-process random keys and the clock still keeps passes
        // unguessable from outside.
        use std::hash::BuildHasher;
        let state = std::collections::hash_map::RandomState::new();
        for (i, chunk) in key.chunks_mut(8).enumerate() {
            let word = state.hash_one((i, SystemTime::now()));
            chunk.copy_from_slice(&word.to_le_bytes());
        }
    }
    key
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || !text.is_ascii() {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).ok())
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenger(difficulty: u8) -> Challenger {
        Challenger::new(ChallengeSettings {
            secret: Some(b"test secret".to_vec()),
            difficulty,
            ..ChallengeSettings::default()
        })
    }

    fn solve(seed: &str, difficulty: u8) -> u64 {
        (0..)
            .find(|&n| leading_zero_bits(seed, n) >= u32::from(difficulty))
            .unwrap()
    }

    fn with_cookie(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn solutions_earn_passes_for_their_client_only() {
        let c = challenger(8);
        let client: IpAddr = "198.18.40.1".parse().unwrap();
        let other: IpAddr = "198.18.40.2".parse().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let seed = c.seed(client, 1_800_000_000);
        let nonce = solve(&seed, 8);
        let unsolved = (0..).find(|&n| leading_zero_bits(&seed, n) < 8).unwrap();
        let form = |seed: &str, issued: u64, nonce: u64| {
            format!("seed={seed}&issued={issued}&nonce={nonce}")
        };
        // (form, client, seconds after issue, outcome)
        let cases: Vec<(String, IpAddr, u64, Result<(), Refusal>)> = vec![
            (form(&seed, 1_800_000_000, nonce), client, 0, Ok(())),
            (form(&seed, 1_800_000_000, nonce), client, 299, Ok(())),
            (
                form(&seed, 1_800_000_000, nonce),
                client,
                301,
                Err(Refusal::Stale),
            ),
            (
                form(&seed, 1_800_000_000, nonce),
                other,
                0,
                Err(Refusal::ForgedSeed),
            ),
            (
                form(&seed, 1_800_000_001, nonce),
                client,
                0,
                Err(Refusal::ForgedSeed),
            ),
            (
                form(&"0".repeat(32), 1_800_000_000, nonce),
                client,
                0,
                Err(Refusal::ForgedSeed),
            ),
            (
                form(&seed, 1_800_000_000, unsolved),
                client,
                0,
                Err(Refusal::Unsolved),
            ),
            (
                "seed=zz&issued=1&nonce=1".into(),
                client,
                0,
                Err(Refusal::Malformed),
            ),
            (
                format!("seed={seed}&issued=1800000000"),
                client,
                0,
                Err(Refusal::Malformed),
            ),
            ("\u{0}\u{ff}".into(), client, 0, Err(Refusal::Malformed)),
            (
                format!("{}&x=1", form(&seed, 1_800_000_000, nonce)),
                client,
                0,
                Err(Refusal::Malformed),
            ),
        ];
        for (form, who, later, outcome) in cases {
            let got = c.redeem(form.as_bytes(), who, now + Duration::from_secs(later));
            assert_eq!(got.as_ref().map(|_| ()).map_err(|e| *e), outcome, "{form}");
            if let Ok(pass) = got {
                let later = now + Duration::from_secs(later);
                let cookie = with_cookie(&format!("a=b; waf_pass={pass}"));
                assert!(c.has_pass(&cookie, who, later));
                assert!(!c.has_pass(&cookie, other, later), "bound to its client");
                assert!(!c.has_pass(&cookie, who, later + Duration::from_secs(3601)));
            }
        }
    }

    #[test]
    fn forged_and_expired_passes_are_refused() {
        let c = challenger(8);
        let client: IpAddr = "2001:db8::7".parse().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let pass = c.pass(client, now);
        let (expiry, code) = pass.split_once('.').unwrap();
        let later_expiry = expiry.parse::<u64>().unwrap() + 86_400;
        let other_key = challenger(8).pass(client, now);
        let other_secret = Challenger::new(ChallengeSettings {
            secret: Some(b"another secret".to_vec()),
            ..ChallengeSettings::default()
        })
        .pass(client, now);
        // (cookie header, accepted)
        let cases = [
            (format!("waf_pass={pass}"), true),
            (format!("waf_pass={other_key}"), true),
            (format!("waf_pass={other_secret}"), false),
            (format!("waf_pass={later_expiry}.{code}"), false),
            (format!("waf_pass={expiry}.{}", "0".repeat(64)), false),
            (format!("waf_pass={expiry}."), false),
            (format!("waf_pass={expiry}"), false),
            ("waf_pass=".to_owned(), false),
            (format!("other={pass}"), false),
            (format!("waf_pass=junk; waf_pass={pass}"), true),
        ];
        for (cookie, accepted) in cases {
            assert_eq!(
                c.has_pass(&with_cookie(&cookie), client, now),
                accepted,
                "{cookie}"
            );
        }
        assert!(!c.has_pass(&HeaderMap::new(), client, now));
    }

    #[test]
    fn random_keys_differ() {
        let client: IpAddr = "198.18.40.1".parse().unwrap();
        let a = Challenger::new(ChallengeSettings::default());
        let b = Challenger::new(ChallengeSettings::default());
        assert_ne!(a.seed(client, 1), b.seed(client, 1));
    }

    #[test]
    fn the_page_carries_a_puzzle_for_its_client() {
        let c = challenger(16);
        let client: IpAddr = "198.18.40.1".parse().unwrap();
        let now = UNIX_EPOCH + Duration::from_secs(1_800_000_000);
        let page = c.page(client, now, "00ff");
        assert_eq!(page.status(), StatusCode::FORBIDDEN);
        let body = futures_body(page);
        assert!(body.contains(&c.seed(client, 1_800_000_000)), "{body}");
        assert!(body.contains("\"difficulty\":16"));
        assert!(body.contains("00ff"));
        assert!(!body.contains("{puzzle}"));
    }

    fn futures_body(response: Response<Full<Bytes>>) -> String {
        use http_body::Body;
        let mut body = std::pin::pin!(response.into_body());
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        match body.as_mut().poll_frame(&mut cx) {
            std::task::Poll::Ready(Some(Ok(frame))) => {
                String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap()
            }
            other => panic!("{other:?}"),
        }
    }
}
