//! Reading the configuration and rules, and reading them again: on SIGHUP and when a
//! watched file's modification time or size changes. A new configuration that does not
//! load is logged and the old one stays in force.

use super::State;
use super::config::{ProxyConfig, Rules};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::watch;
use waf_core::Config;
use waf_core::rule::RuleSet;
use waf_tower::challenge::ChallengeSettings;
use waf_tower::dashboard::DashboardSettings;

/// Everything the configuration file leads to, read and compiled.
pub struct Loaded {
    /// The proxy's own settings.
    pub config: ProxyConfig,
    /// The engine's settings.
    pub waf_config: Config,
    /// The rules; `None` when inspection is off.
    pub rules: Option<RuleSet>,
    /// SecLang files read, with their includes, to watch.
    pub rule_files: Vec<PathBuf>,
    /// The secret of `[challenge] secret_file`, if set.
    pub challenge_secret: Option<Vec<u8>>,
    /// The dashboard's settings, with the token of `[admin] token_file`, if set.
    pub dashboard: Option<DashboardSettings>,
}

/// The dashboard settings with the token in `file`, surrounding whitespace removed.
fn read_dashboard_token(file: &Path) -> Result<DashboardSettings, String> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| format!("[admin]: cannot read token_file {}: {e}", file.display()))?;
    let settings = DashboardSettings::new(text.trim());
    settings
        .validate()
        .map_err(|e| format!("[admin]: token_file {}: {e}", file.display()))?;
    Ok(settings)
}

/// The secret in `file`, surrounding whitespace removed.
fn read_secret(file: &Path) -> Result<Vec<u8>, String> {
    let text = std::fs::read(file).map_err(|e| {
        format!(
            "[challenge]: cannot read secret_file {}: {e}",
            file.display()
        )
    })?;
    let secret = text.trim_ascii();
    if secret.len() < 16 {
        return Err(format!(
            "[challenge]: secret_file {} holds {} bytes; use at least 16 random ones",
            file.display(),
            secret.len()
        ));
    }
    Ok(secret.to_vec())
}

impl Loaded {
    /// The challenge settings: the configured secret, or `fallback` (drawn once when
    /// the proxy started).
    pub fn challenge(&self, fallback: &[u8]) -> ChallengeSettings {
        let config = &self.config.challenge;
        ChallengeSettings {
            secret: Some(
                self.challenge_secret
                    .clone()
                    .unwrap_or_else(|| fallback.to_vec()),
            ),
            difficulty: config.difficulty,
            pass_ttl: Duration::from_secs(config.pass_ttl_s.max(1)),
            ..ChallengeSettings::default()
        }
    }

    /// Reads the configuration at `path` and what it names. Blocking: CRS takes seconds.
    pub fn read(path: &Path) -> Result<Self, String> {
        let config = ProxyConfig::from_file(path)?;
        let waf_config = match &config.waf_config {
            Some(file) => read_waf_config(file)?,
            None => Config::default(),
        };
        let (rules, rule_files) = match &config.rules {
            Rules::Builtin => (Some(RuleSet::builtin()), Vec::new()),
            Rules::Crs { dir, paranoia } => {
                let dir = crate::crs::dir(dir.as_deref());
                let loaded = crate::crs::load(&dir, &crate::crs::Setup::production(*paranoia))?;
                tracing::info!(target: "waf::proxy", "{}", loaded.report());
                (Some(loaded.rules), Vec::new())
            }
            Rules::Seclang { files } => {
                let mut source = waf_rules::load::RuleSource::new();
                for file in files {
                    source.add_file(file).map_err(|e| e.to_string())?;
                }
                let rules = RuleSet::from_source("seclang", &source).map_err(|e| e.to_string())?;
                (Some(rules), source.files)
            }
            Rules::Off => (None, Vec::new()),
        };
        let challenge_secret = match &config.challenge.secret_file {
            Some(file) => Some(read_secret(file)?),
            None => None,
        };
        let dashboard = match config.admin.as_ref().and_then(|a| a.token_file.as_ref()) {
            Some(file) => Some(read_dashboard_token(file)?),
            None => None,
        };
        Ok(Self {
            config,
            waf_config,
            rules,
            challenge_secret,
            dashboard,
            rule_files,
        })
    }
}

/// The engine configuration file; errors name it, the line and the key.
fn read_waf_config(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    Config::from_toml(&text).map_err(|e| format!("{}: {}", path.display(), e.message().trim_end()))
}

/// What a file looked like: modification time and size, or missing.
type Stamp = Vec<(PathBuf, Option<(SystemTime, u64)>)>;

fn stamp(paths: impl IntoIterator<Item = PathBuf>) -> Stamp {
    paths
        .into_iter()
        .map(|path| {
            let seen = std::fs::metadata(&path)
                .ok()
                .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
            (path, seen)
        })
        .collect()
}

/// The files the engine is read from: the configuration, the engine configuration and
/// the rules (for CRS, what its directory holds now, so added files count too).
fn engine_files(state: &State) -> Vec<PathBuf> {
    let mut files = vec![state.path.clone()];
    let config = state.config();
    files.extend(config.waf_config.clone());
    match &config.rules {
        Rules::Crs { dir, .. } => {
            let dir = crate::crs::dir(dir.as_deref());
            files.push(dir.join("crs-setup.conf"));
            files.push(dir.join("crs-setup.conf.example"));
            for sub in ["rules", "plugins"] {
                let mut listed: Vec<PathBuf> = std::fs::read_dir(dir.join(sub))
                    .into_iter()
                    .flatten()
                    .filter_map(|entry| Some(entry.ok()?.path()))
                    .collect();
                listed.sort();
                files.extend(listed);
            }
        }
        _ => files.extend(state.rule_files()),
    }
    files
}

fn cert_files(state: &State) -> Vec<PathBuf> {
    state
        .certs
        .iter()
        .flat_map(|certs| certs.files().map(Path::to_owned))
        .collect()
}

/// Compares the watched files every `interval` and reloads what changed, until `stop`.
pub async fn watch_files(state: Arc<State>, interval: Duration, mut stop: watch::Receiver<()>) {
    let mut engine_seen = stamp(engine_files(&state));
    let mut certs_seen = stamp(cert_files(&state));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = stop.changed() => return,
        }
        // Stamped before reading: a file still being written changes again afterwards,
        // and is read again then.
        let engine_now = stamp(engine_files(&state));
        if engine_now != engine_seen {
            engine_seen = engine_now;
            // A full reload reads the certificate too.
            certs_seen = stamp(cert_files(&state));
            let _ = state.reload("a watched file changed").await;
            continue;
        }
        let certs_now = stamp(cert_files(&state));
        if certs_now != certs_seen {
            certs_seen = certs_now;
            state.reload_certs();
        }
    }
}

/// Reloads everything on each SIGHUP, until `stop`.
pub fn on_sighup(state: Arc<State>, mut stop: watch::Receiver<()>) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut hangups = signal(SignalKind::hangup())?;
    tokio::spawn(async move {
        loop {
            tokio::select! {
                Some(()) = hangups.recv() => {
                    let _ = state.reload("SIGHUP").await;
                }
                _ = stop.changed() => return,
            }
        }
    });
    Ok(())
}
