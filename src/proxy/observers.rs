//! The observers the configuration asks for: the audit log (`[audit]`) and the attack
//! store (`[store]`), started once with the proxy and kept across reloads.

use super::config::ProxyConfig;
use crate::store::AttackStore;
use std::sync::Arc;
use waf_tower::audit::AuditLog;
use waf_tower::observe::Observer;

/// The running observers, added to every pipeline generation.
#[derive(Clone, Default)]
pub(crate) struct Observers(pub Vec<Arc<dyn Observer>>);

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} observers", self.0.len())
    }
}

impl Observers {
    /// Opens the audit log and the attack store `config` names. It blocks (files,
    /// database connections): call it off the async runtime's threads.
    pub(crate) fn start(config: &ProxyConfig) -> Result<Self, String> {
        let mut observers: Vec<Arc<dyn Observer>> = Vec::new();
        if let Some(audit) = &config.audit {
            let mut log = match &audit.path {
                Some(path) => AuditLog::file(path)
                    .max_file_size(audit.max_file_size)
                    .keep(audit.keep),
                None => AuditLog::stdout(),
            };
            for name in &audit.redact_headers {
                log = log.redact_header(name);
            }
            for name in &audit.redact_args {
                log = log.redact_arg(name);
            }
            let log = log
                .start()
                .map_err(|e| format!("[audit]: cannot open the audit log: {e}"))?;
            observers.push(Arc::new(log));
        }
        if let Some(settings) = &config.store {
            let mut store = AttackStore::builder(&settings.url);
            for name in &settings.redact_headers {
                store = store.redact_header(name);
            }
            for name in &settings.redact_args {
                store = store.redact_arg(name);
            }
            let store = store.start().map_err(|e| format!("[store]: {e}"))?;
            observers.push(Arc::new(store));
        }
        Ok(Self(observers))
    }
}
