//! The proxy's TOML configuration file.

use ipnet::IpNet;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use waf_tower::shared::SharedSettings;

/// The whole configuration file; see `docs/proxy.md` for the reference.
///
/// ```
/// let config = waf::proxy::ProxyConfig::from_toml(
///     r#"
///     [listen]
///     http = "127.0.0.1:8080"
///
///     [upstream]
///     url = "http://127.0.0.1:3000"
///
///     [rules]
///     source = "builtin"
///     "#,
///     "/etc/waf".as_ref(),
/// )?;
/// assert_eq!(config.upstream.url.port_u16(), Some(3000));
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProxyConfig {
    /// Where to accept connections.
    pub listen: Listen,
    /// Where to forward them.
    pub upstream: Upstream,
    /// Which rules inspect the requests (the built-in ones unless set).
    #[serde(default)]
    pub rules: Rules,
    /// The engine's configuration file (`waf_core::Config` TOML: mode, scoring, limits,
    /// rate limits); the defaults unless set.
    #[serde(default)]
    pub waf_config: Option<PathBuf>,
    /// Peers whose `Forwarded` / `X-Forwarded-For` headers name the client (a load
    /// balancer in front of the pod); nobody's by default.
    #[serde(default)]
    pub trusted_proxies: Vec<IpNet>,
    /// Request and response body inspection limits.
    #[serde(default)]
    pub body: BodyLimits,
    /// How often the watched files' modification times are compared, in milliseconds
    /// (1000); 0 turns watching off (SIGHUP still reloads).
    #[serde(default = "default_watch_interval_ms")]
    pub watch_interval_ms: u64,
    /// Shares bans and rate limits with other nodes through Redis.
    #[serde(default)]
    pub shared: Option<SharedSettings>,
    /// Writes an audit log of the requests stopped or logged (`waf_tower::audit`).
    #[serde(default)]
    pub audit: Option<AuditSettings>,
    /// Keeps the requests stopped or logged in an attack store (`waf::store`).
    #[serde(default)]
    pub store: Option<StoreSettings>,
    /// How challenge verdicts are answered (`waf_tower::challenge`).
    #[serde(default)]
    pub challenge: ChallengeConfig,
    /// A second listener for operators: Prometheus metrics and the live dashboard.
    #[serde(default)]
    pub admin: Option<AdminSettings>,
}

/// The `[challenge]` table: the proof-of-work page and its pass cookie.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChallengeConfig {
    /// A file holding the secret that signs passes, the same on every node (at least
    /// 16 bytes). Unset: a random secret drawn when the proxy starts, kept across
    /// reloads, so passes hold for this process only.
    pub secret_file: Option<PathBuf>,
    /// Leading zero bits the page's hash must reach (16).
    pub difficulty: u8,
    /// How long a pass lets its client through, in seconds (3600).
    pub pass_ttl_s: u64,
}

impl Default for ChallengeConfig {
    fn default() -> Self {
        Self {
            secret_file: None,
            difficulty: 16,
            pass_ttl_s: 3600,
        }
    }
}

/// The `[admin]` table: where operators look. Bind it to loopback or a network only
/// operators reach: `/metrics` answers anyone who can connect.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminSettings {
    /// The address of the admin listener (`GET /metrics`).
    pub listen: SocketAddr,
    /// A file holding the live dashboard's token (at least 16 characters, each a
    /// letter, a digit or one of `-._~`). With it the dashboard is served under
    /// `/dashboard` (its page at `/dashboard?token=TOKEN`); without it, not at all.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
}

/// The `[audit]` table: the audit log, to a file or to standard output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditSettings {
    /// The file written, rotated by size; or set `stdout`.
    pub path: Option<PathBuf>,
    /// Write to standard output instead of a file.
    #[serde(default)]
    pub stdout: bool,
    /// Rotate the file before it grows past this many bytes (100 MiB).
    #[serde(default = "default_audit_max_file_size")]
    pub max_file_size: u64,
    /// How many rotated files to keep (5).
    #[serde(default = "default_audit_keep")]
    pub keep: usize,
    /// Headers whose values are redacted, besides `Cookie`, `Authorization`,
    /// `Proxy-Authorization` and `Set-Cookie`.
    #[serde(default)]
    pub redact_headers: Vec<String>,
    /// Arguments whose values are redacted (`password`, …).
    #[serde(default)]
    pub redact_args: Vec<String>,
}

/// The `[store]` table: the attack store.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    /// `sqlite:PATH` (a relative path is taken from the configuration's directory) or
    /// `mysql://USER:PASSWORD@HOST:PORT/DATABASE`.
    pub url: String,
    /// Headers whose values are redacted in matched data, besides the default ones.
    #[serde(default)]
    pub redact_headers: Vec<String>,
    /// Arguments whose values are redacted.
    #[serde(default)]
    pub redact_args: Vec<String>,
}

/// The `[listen]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listen {
    /// Plain HTTP (HTTP/1.1 and cleartext HTTP/2).
    pub http: Option<SocketAddr>,
    /// HTTPS (HTTP/1.1 and HTTP/2 chosen by ALPN); needs `cert` and `key`.
    pub https: Option<SocketAddr>,
    /// PEM certificate chain, leaf first.
    pub cert: Option<PathBuf>,
    /// PEM private key (PKCS#8, PKCS#1 or SEC1).
    pub key: Option<PathBuf>,
    /// How long a client may take to finish the TLS handshake, in milliseconds (10000).
    #[serde(default = "default_handshake_timeout_ms")]
    pub handshake_timeout_ms: u64,
    /// How long open connections get to finish on shutdown, in milliseconds (10000).
    #[serde(default = "default_shutdown_grace_ms")]
    pub shutdown_grace_ms: u64,
}

/// The `[upstream]` table.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upstream {
    /// `http://host:port`: the application (in the same pod).
    #[serde(deserialize_with = "http_url")]
    pub url: http::Uri,
    /// Speak cleartext HTTP/2 (h2c) to the upstream instead of HTTP/1.1. Upgrades then
    /// cannot pass.
    #[serde(default)]
    pub http2: bool,
    /// How long connecting may take, in milliseconds (5000); then 502.
    #[serde(default = "default_connect_timeout_ms")]
    pub connect_timeout_ms: u64,
    /// How long the upstream may take to start its response, in milliseconds (60000);
    /// then 504. The body then streams for as long as it lasts.
    #[serde(default = "default_response_timeout_ms")]
    pub response_timeout_ms: u64,
    /// How long an idle pooled connection is kept, in milliseconds (90000).
    #[serde(default = "default_idle_timeout_ms")]
    pub idle_timeout_ms: u64,
}

/// The `[rules]` table: where the rules come from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(tag = "source", rename_all = "lowercase", deny_unknown_fields)]
pub enum Rules {
    /// The rules built into the engine.
    #[default]
    Builtin,
    /// The OWASP Core Rule Set in `dir` (default `$WAF_CRS_DIR`, else `../shared/crs`),
    /// blocking at `paranoia` (1).
    Crs {
        /// The CRS directory.
        dir: Option<PathBuf>,
        /// The blocking paranoia level, 1–4.
        #[serde(default = "one", deserialize_with = "paranoia")]
        paranoia: u8,
    },
    /// SecLang rule files, in order (their `Include`s are followed).
    Seclang {
        /// The files.
        files: Vec<PathBuf>,
    },
    /// No inspection: the proxy forwards everything (to measure the proxy alone).
    Off,
}

/// The `[body]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BodyLimits {
    /// Request body bytes buffered for inspection (1 MiB).
    pub request_limit: usize,
    /// Over the limit: refuse with 413 (`false`, the default), or inspect the first
    /// `request_limit` bytes and forward the whole body (`true`).
    pub inspect_prefix: bool,
    /// Response body bytes buffered when the rules read response bodies (1 MiB).
    pub response_limit: usize,
}

impl Default for BodyLimits {
    fn default() -> Self {
        Self {
            request_limit: 1024 * 1024,
            inspect_prefix: false,
            response_limit: 1024 * 1024,
        }
    }
}

impl ProxyConfig {
    /// Parses and checks `text`; relative paths in it are taken from `base` (the file's
    /// directory). Errors give the line and the key.
    pub fn from_toml(text: &str, base: &Path) -> Result<Self, String> {
        let mut config: Self = toml::from_str(text).map_err(|e| e.to_string())?;
        config.check()?;
        config.resolve(base);
        Ok(config)
    }

    /// Reads the file at `path`; errors name it.
    pub fn from_file(path: &Path) -> Result<Self, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::from_toml(&text, base).map_err(|e| format!("{}: {}", path.display(), e.trim_end()))
    }

    /// The checks serde cannot make field by field.
    fn check(&self) -> Result<(), String> {
        let listen = &self.listen;
        if listen.http.is_none() && listen.https.is_none() {
            return Err("[listen]: set `http`, `https` or both".into());
        }
        if listen.https.is_some() && (listen.cert.is_none() || listen.key.is_none()) {
            return Err("[listen]: `https` needs `cert` and `key`".into());
        }
        if let Some(audit) = &self.audit
            && audit.path.is_some() == audit.stdout
        {
            return Err("[audit]: set either `path` or `stdout = true`".into());
        }
        if !(1..=32).contains(&self.challenge.difficulty) {
            return Err(format!(
                "[challenge]: `difficulty` must be 1 to 32 bits, found {}",
                self.challenge.difficulty
            ));
        }
        Ok(())
    }

    /// Makes every relative path relative to `base`.
    fn resolve(&mut self, base: &Path) {
        let join = |path: &mut PathBuf| {
            if path.is_relative() {
                *path = base.join(&*path);
            }
        };
        self.listen.cert.as_mut().map(join);
        self.listen.key.as_mut().map(join);
        self.waf_config.as_mut().map(join);
        self.challenge.secret_file.as_mut().map(join);
        if let Some(file) = self.admin.as_mut().and_then(|a| a.token_file.as_mut()) {
            join(file);
        }
        if let Some(path) = self.audit.as_mut().and_then(|a| a.path.as_mut()) {
            join(path);
        }
        if let Some(store) = &mut self.store
            && let Some(path) = store.url.strip_prefix("sqlite:")
            && !path.starts_with("//")
            && Path::new(path).is_relative()
        {
            store.url = format!("sqlite:{}", base.join(path).display());
        }
        match &mut self.rules {
            Rules::Crs { dir: Some(dir), .. } => join(dir),
            Rules::Seclang { files } => files.iter_mut().for_each(join),
            _ => {}
        }
    }
}

impl Upstream {
    /// [`Upstream::connect_timeout_ms`] as a duration.
    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }

    /// [`Upstream::response_timeout_ms`] as a duration.
    pub fn response_timeout(&self) -> Duration {
        Duration::from_millis(self.response_timeout_ms)
    }
}

fn http_url<'de, D: serde::Deserializer<'de>>(d: D) -> Result<http::Uri, D::Error> {
    use serde::de::Error;
    let text = String::deserialize(d)?;
    let uri: http::Uri = text.parse().map_err(D::Error::custom)?;
    if uri.scheme_str() != Some("http") || uri.authority().is_none() {
        return Err(D::Error::custom(format!(
            "`{text}`: expected http://host:port (TLS to the upstream is not supported)"
        )));
    }
    if uri.path() != "/" || uri.query().is_some() {
        return Err(D::Error::custom(format!(
            "`{text}`: no path: requests keep their own"
        )));
    }
    Ok(uri)
}

fn paranoia<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let level = u8::deserialize(d)?;
    match level {
        1..=4 => Ok(level),
        _ => Err(serde::de::Error::custom(format!(
            "paranoia {level}: expected 1 to 4"
        ))),
    }
}

fn default_audit_max_file_size() -> u64 {
    100 * 1024 * 1024
}

fn default_audit_keep() -> usize {
    5
}

fn one() -> u8 {
    1
}

fn default_watch_interval_ms() -> u64 {
    1000
}

fn default_handshake_timeout_ms() -> u64 {
    10_000
}

fn default_shutdown_grace_ms() -> u64 {
    10_000
}

fn default_connect_timeout_ms() -> u64 {
    5000
}

fn default_response_timeout_ms() -> u64 {
    60_000
}

fn default_idle_timeout_ms() -> u64 {
    90_000
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str =
        "[listen]\nhttp = \"127.0.0.1:0\"\n[upstream]\nurl = \"http://127.0.0.1:3000\"\n";

    #[test]
    fn minimal_file_takes_the_defaults() {
        let config = ProxyConfig::from_toml(MINIMAL, Path::new("/etc")).unwrap();
        assert_eq!(config.rules, Rules::Builtin);
        assert_eq!(config.upstream.response_timeout(), Duration::from_secs(60));
        assert_eq!(config.body, BodyLimits::default());
    }

    #[test]
    fn relative_paths_are_taken_from_the_file_directory() {
        let text = format!(
            "waf_config = \"waf.toml\"\n{MINIMAL}[rules]\nsource = \"seclang\"\nfiles = [\"a.conf\", \"/abs/b.conf\"]\n"
        );
        let config = ProxyConfig::from_toml(&text, Path::new("/etc/waf")).unwrap();
        assert_eq!(config.waf_config, Some(PathBuf::from("/etc/waf/waf.toml")));
        assert_eq!(
            config.rules,
            Rules::Seclang {
                files: vec!["/etc/waf/a.conf".into(), "/abs/b.conf".into()]
            }
        );
    }

    #[test]
    fn errors_name_the_line_and_key() {
        let text = format!("{MINIMAL}[rules]\nsource = \"crs\"\nparanoia = 7\n");
        let error = ProxyConfig::from_toml(&text, Path::new(".")).unwrap_err();
        // The rules table is read as a whole: its line is the one named.
        assert!(
            error.contains("line 5") && error.contains("[rules]"),
            "{error}"
        );
        assert!(error.contains("paranoia 7"), "{error}");

        let text = MINIMAL.replace("url =", "uri =");
        let error = ProxyConfig::from_toml(&text, Path::new(".")).unwrap_err();
        assert!(
            error.contains("line 4") && error.contains("`uri`"),
            "{error}"
        );

        let text = MINIMAL.replace("http://", "https://");
        let error = ProxyConfig::from_toml(&text, Path::new(".")).unwrap_err();
        assert!(error.contains("TLS to the upstream"), "{error}");
    }

    #[test]
    fn audit_and_store_tables() {
        // (tables, audit path, store url, error)
        let cases = [
            (
                "[audit]\npath = \"audit.log\"\n[store]\nurl = \"sqlite:events.db\"\n",
                Some("/etc/waf/audit.log"),
                Some("sqlite:/etc/waf/events.db"),
                None,
            ),
            (
                "[audit]\nstdout = true\n[store]\nurl = \"mysql://u:p@127.0.0.1:3306/waf\"\n",
                None,
                Some("mysql://u:p@127.0.0.1:3306/waf"),
                None,
            ),
            (
                "[store]\nurl = \"sqlite:/var/lib/waf/events.db\"\n",
                None,
                Some("sqlite:/var/lib/waf/events.db"),
                None,
            ),
            (
                "[audit]\nkeep = 3\n",
                None,
                None,
                Some("either `path` or `stdout = true`"),
            ),
            (
                "[audit]\npath = \"a.log\"\nstdout = true\n",
                None,
                None,
                Some("either `path`"),
            ),
        ];
        for (tables, path, url, error) in cases {
            let text = format!("{MINIMAL}{tables}");
            match (ProxyConfig::from_toml(&text, Path::new("/etc/waf")), error) {
                (Ok(config), None) => {
                    let audit_path = config.audit.as_ref().and_then(|a| a.path.clone());
                    assert_eq!(audit_path, path.map(PathBuf::from), "{tables}");
                    assert_eq!(config.store.map(|s| s.url).as_deref(), url, "{tables}");
                }
                (Err(e), Some(error)) => assert!(e.contains(error), "{tables}: {e}"),
                (outcome, _) => panic!("{tables}: {outcome:?}"),
            }
        }
    }

    #[test]
    fn https_needs_a_certificate() {
        let text = MINIMAL.replace("http = ", "https = ");
        let error = ProxyConfig::from_toml(&text, Path::new(".")).unwrap_err();
        assert!(error.contains("`cert` and `key`"), "{error}");
    }
}
