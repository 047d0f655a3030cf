//! `waf-proxy`: the engine as a reverse proxy in front of an application that is not
//! written in Rust, e.g. as a sidecar in the application's pod.
//!
//! HTTP and HTTPS listeners (TLS terminated with rustls; HTTP/1.1 and HTTP/2) inspect
//! each request with [`WafLayer`](waf_tower::WafLayer) and forward what passes to one
//! upstream, adding `X-Forwarded-For`, `Forwarded` and `X-Forwarded-Proto`. Responses
//! stream; WebSocket and other HTTP/1.1 upgrades are tunnelled. One TOML file
//! ([`ProxyConfig`]) says it all; it, the rules and the certificate are read again on
//! SIGHUP and when they change on disk, without closing connections.
//!
//! ```no_run
//! # #[tokio::main]
//! # async fn main() -> Result<(), String> {
//! let proxy = waf::proxy::Proxy::start("waf-proxy.toml".as_ref()).await?;
//! proxy.reload_on_sighup().map_err(|e| e.to_string())?;
//! tokio::signal::ctrl_c().await.map_err(|e| e.to_string())?;
//! proxy.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! See `docs/proxy.md` for the configuration reference and benchmark figures.

mod admin;
mod config;
mod forward;
mod observers;
mod pipeline;
mod reload;
mod server;
mod tls;

pub use config::{AuditSettings, BodyLimits, Listen, ProxyConfig, Rules, StoreSettings, Upstream};
pub use tls::CertStore;

use forward::Forward;
use observers::Observers;
use pipeline::Handler;
use reload::Loaded;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use waf_core::Waf;
use waf_tower::dashboard::Dashboard;
use waf_tower::metrics::Metrics;
use waf_tower::shared::Shared;

/// A running proxy: its listeners, the engine and the reload machinery.
#[derive(Debug)]
pub struct Proxy {
    state: Arc<State>,
    http: Option<SocketAddr>,
    https: Option<SocketAddr>,
    admin: Option<SocketAddr>,
    stop: watch::Sender<()>,
    tasks: Vec<JoinHandle<()>>,
}

/// Key material, kept out of `Debug` output.
struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<secret>")
    }
}

/// What the running parts share.
#[derive(Debug)]
struct State {
    /// The configuration file.
    path: PathBuf,
    waf: Waf,
    handler: Arc<Handler>,
    certs: Option<Arc<CertStore>>,
    shared: Option<Shared>,
    /// The audit log, the attack store and the metrics, as configured at start.
    observers: Observers,
    /// Signs challenge passes when `[challenge]` names no secret: drawn at start, so
    /// that passes survive reloads.
    challenge_secret: Secret,
    /// The configuration in force, and the SecLang files its rules were read from.
    current: Mutex<(ProxyConfig, Vec<PathBuf>)>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
}

impl Proxy {
    /// Reads the configuration at `path`, binds its listeners and starts serving on
    /// the current Tokio runtime. Errors name the file (and line and key) or address.
    pub async fn start(path: &Path) -> Result<Self, String> {
        let owned = path.to_owned();
        let loaded = tokio::task::spawn_blocking(move || Loaded::read(&owned))
            .await
            .map_err(|e| e.to_string())??;
        let challenge_secret = Secret(waf_tower::challenge::random_secret());
        let challenge = loaded.challenge(&challenge_secret.0);
        let Loaded {
            config,
            waf_config,
            rules,
            rule_files,
            dashboard,
            ..
        } = loaded;
        let waf = Waf::builder()
            .config(waf_config)
            .rules(rules.unwrap_or_else(waf_core::rule::RuleSet::builtin))
            .build()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let shared = config
            .shared
            .clone()
            .map(|settings| Shared::start(&waf, settings));
        let certs = match (&config.listen.cert, &config.listen.key) {
            (Some(cert), Some(key)) if config.listen.https.is_some() => {
                Some(Arc::new(CertStore::open(cert, key)?))
            }
            _ => None,
        };
        let mut observers = {
            let config = config.clone();
            tokio::task::spawn_blocking(move || Observers::start(&config))
                .await
                .map_err(|e| e.to_string())??
        };
        let metrics = Metrics::new();
        metrics.watch(&waf);
        if let Some(shared) = &shared {
            metrics.shared(shared);
        }
        observers.0.push(Arc::new(metrics.clone()));
        let dashboard = match dashboard {
            Some(settings) => {
                let dashboard = Dashboard::new(waf.clone(), settings).map_err(|e| e.to_string())?;
                observers.0.push(Arc::new(dashboard.clone()));
                Some(dashboard)
            }
            None => None,
        };
        let forward = Forward::new(&config.upstream);
        let handler = Arc::new(Handler::new(
            &config,
            &waf,
            forward,
            shared.as_ref(),
            &observers,
            &challenge,
        ));
        let (stop, stopped) = watch::channel(());
        let mut tasks = Vec::new();

        let listen = &config.listen;
        let bind = |addr: SocketAddr| async move {
            tokio::net::TcpListener::bind(addr)
                .await
                .map_err(|e| format!("cannot listen on {addr}: {e}"))
        };
        let listener = |tcp, tls| server::Listener {
            tcp,
            tls,
            handshake_timeout: Duration::from_millis(listen.handshake_timeout_ms),
            shutdown_grace: Duration::from_millis(listen.shutdown_grace_ms),
        };
        let mut listeners = Vec::new();
        let http = match listen.http {
            Some(addr) => {
                let tcp = bind(addr).await?;
                let local = tcp.local_addr().map_err(|e| e.to_string())?;
                listeners.push(listener(tcp, None));
                Some(local)
            }
            None => None,
        };
        let https = match (listen.https, &certs) {
            (Some(addr), Some(certs)) => {
                let tcp = bind(addr).await?;
                let local = tcp.local_addr().map_err(|e| e.to_string())?;
                let tls = Arc::new(certs.server_config()?);
                listeners.push(listener(tcp, Some(tls.into())));
                Some(local)
            }
            _ => None,
        };
        let admin = match &config.admin {
            Some(settings) => {
                let router = admin::router(&metrics, dashboard.as_ref());
                let grace = Duration::from_millis(config.listen.shutdown_grace_ms);
                let (local, task) = admin::serve(settings, router, stopped.clone(), grace).await?;
                tasks.push(task);
                Some(local)
            }
            None => None,
        };
        for listener in listeners {
            tasks.push(tokio::spawn(server::serve(
                listener,
                handler.clone(),
                stopped.clone(),
            )));
        }

        let interval = Duration::from_millis(config.watch_interval_ms);
        let state = Arc::new(State {
            path: path.to_owned(),
            waf,
            handler,
            certs,
            shared,
            observers,
            challenge_secret,
            current: Mutex::new((config, rule_files)),
            reloading: tokio::sync::Mutex::new(()),
        });
        if !interval.is_zero() {
            tasks.push(tokio::spawn(reload::watch_files(
                state.clone(),
                interval,
                stopped,
            )));
        }
        tracing::info!(target: "waf::proxy", ?http, ?https, "listening");
        Ok(Self {
            state,
            http,
            https,
            admin,
            stop,
            tasks,
        })
    }

    /// The address of the HTTP listener, if there is one (with the port chosen when the
    /// configuration says 0).
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
    }

    /// The address of the admin listener (`[admin]`), if there is one.
    pub fn admin_addr(&self) -> Option<SocketAddr> {
        self.admin
    }

    /// The address of the HTTPS listener, if there is one.
    pub fn https_addr(&self) -> Option<SocketAddr> {
        self.https
    }

    /// The engine: bans, mode and decision stream.
    pub fn waf(&self) -> &Waf {
        &self.state.waf
    }

    /// Reads the configuration, the rules and the certificate again, as SIGHUP does.
    /// On error nothing changes.
    pub async fn reload(&self) -> Result<(), String> {
        self.state.reload("asked").await
    }

    /// Reloads on every SIGHUP to this process (until shutdown). Call it once, from
    /// within the runtime: SIGHUP then no longer ends the process.
    pub fn reload_on_sighup(&self) -> std::io::Result<()> {
        reload::on_sighup(self.state.clone(), self.stop.subscribe())
    }

    /// Stops accepting, lets open connections finish (up to the grace period), and
    /// returns when all is done.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

impl State {
    fn config(&self) -> ProxyConfig {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .0
            .clone()
    }

    fn rule_files(&self) -> Vec<PathBuf> {
        self.current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .1
            .clone()
    }

    /// Reads everything again and swaps it in; an error (logged) changes nothing.
    async fn reload(&self, why: &str) -> Result<(), String> {
        let _one = self.reloading.lock().await;
        let path = self.path.clone();
        let read = tokio::task::spawn_blocking(move || Loaded::read(&path))
            .await
            .map_err(|e| e.to_string())
            .and_then(|loaded| loaded)
            .and_then(|loaded| self.apply(loaded));
        match &read {
            Ok(()) => tracing::info!(target: "waf::proxy", why, "configuration reloaded"),
            Err(error) => {
                tracing::error!(target: "waf::proxy", why, %error, "reload failed; the previous configuration stays")
            }
        }
        if self.certs.is_some() {
            self.reload_certs();
        }
        read
    }

    fn apply(&self, loaded: Loaded) -> Result<(), String> {
        let challenge = loaded.challenge(&self.challenge_secret.0);
        let old = self.config();
        let new = loaded.config;
        if new.listen != old.listen
            || new.shared != old.shared
            || new.watch_interval_ms != old.watch_interval_ms
            || new.audit != old.audit
            || new.store != old.store
            || new.admin != old.admin
        {
            tracing::warn!(target: "waf::proxy", "[listen], [shared], [audit], [store], [admin] and watch_interval_ms take effect on restart");
        }
        self.waf
            .reload_config(loaded.waf_config)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        if let Some(rules) = loaded.rules {
            self.waf.reload_rules(rules);
        }
        // The same upstream keeps its pool of open connections.
        let forward = if new.upstream == old.upstream {
            self.handler.forward()
        } else {
            Forward::new(&new.upstream)
        };
        self.handler.replace(
            &new,
            &self.waf,
            forward,
            self.shared.as_ref(),
            &self.observers,
            &challenge,
        );
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = (new, loaded.rule_files);
        Ok(())
    }

    fn reload_certs(&self) {
        if let Some(certs) = &self.certs {
            match certs.reload() {
                Ok(()) => tracing::info!(target: "waf::proxy", "certificate reloaded"),
                Err(error) => {
                    tracing::error!(target: "waf::proxy", %error, "certificate reload failed; the previous one stays")
                }
            }
        }
    }
}

/// Reads the configuration at `path` and everything it names (engine configuration,
/// rules, certificate) without serving: what `waf-proxy --check` does.
pub async fn check(path: &Path) -> Result<(), String> {
    let owned = path.to_owned();
    let loaded = tokio::task::spawn_blocking(move || Loaded::read(&owned))
        .await
        .map_err(|e| e.to_string())??;
    if let (Some(cert), Some(key)) = (&loaded.config.listen.cert, &loaded.config.listen.key) {
        CertStore::open(cert, key)?;
    }
    Ok(())
}
