//! The loaded plugins as one signal source, swappable at run time.

use super::abi;
use super::health::PluginStats;
use super::plugin::Plugin;
use crate::request::RequestView;
use crate::waf::{Assessment, SignalSource};
use arc_swap::ArcSwap;
use std::sync::Arc;
use std::time::Instant;

/// The name of the plugins' signal: the key of its weight in `scoring.weights`.
pub const SIGNAL: &str = "plugins";

/// The loaded plugins, a [`SignalSource`] named [`SIGNAL`].
///
/// Every plugin runs on every request, in load order. The signal is the highest of
/// their weighted scores; their reports are the matches; any deny (a plugin's own,
/// or a failure of one that fails closed) denies the request. The set is replaced
/// whole by [`Plugins::reload`]: requests in flight finish with the old one.
///
/// ```
/// use std::sync::Arc;
/// use waf_core::plugins::Plugins;
/// use waf_core::Waf;
///
/// let plugins = Arc::new(Plugins::new(Vec::new()));
/// let waf = Waf::builder()
///     .signal_source(plugins.clone())
///     .weight(waf_core::plugins::SIGNAL, 0.5)
///     .build()?;
/// // Later, e.g. on SIGHUP: plugins.reload(waf_core::plugins::load_dir(dir)?);
/// plugins.reload(Vec::new());
/// assert!(plugins.stats().is_empty());
/// # drop(waf);
/// # Ok::<(), waf_core::Error>(())
/// ```
#[derive(Debug)]
pub struct Plugins {
    set: ArcSwap<Vec<Plugin>>,
}

impl Plugins {
    /// These plugins, in this order.
    pub fn new(plugins: Vec<Plugin>) -> Self {
        Self {
            set: ArcSwap::from_pointee(plugins),
        }
    }

    /// Replaces the plugins. A plugin whose name was loaded before keeps its counters
    /// and its cool-down: reloading does not reset a failing plugin.
    pub fn reload(&self, mut plugins: Vec<Plugin>) {
        let old = self.set.load();
        for plugin in &mut plugins {
            if let Some(previous) = old.iter().find(|p| p.name() == plugin.name()) {
                plugin.health = Arc::clone(&previous.health);
            }
        }
        self.set.store(Arc::new(plugins));
    }

    /// The names of the loaded plugins, in order.
    pub fn names(&self) -> Vec<String> {
        self.set
            .load()
            .iter()
            .map(|p| p.name().to_owned())
            .collect()
    }

    /// Each loaded plugin's name and counters.
    pub fn stats(&self) -> Vec<(String, PluginStats)> {
        self.set
            .load()
            .iter()
            .map(|p| (p.name().to_owned(), p.stats()))
            .collect()
    }

    /// [`SignalSource::assess`] as if at `now` (what cool-downs see as the time).
    pub fn assess_at(&self, request: &RequestView, now: Instant) -> Assessment {
        let set = self.set.load();
        let mut assessment = Assessment::default();
        // Encoded at most twice per request, with and without the raw body.
        let mut encoded: [Option<Vec<u8>>; 2] = [None, None];
        for plugin in set.iter() {
            let raw_body = plugin.config().raw_body;
            let bytes = encoded[usize::from(raw_body)]
                .get_or_insert_with(|| abi::encode(request, raw_body));
            let said = plugin.run(bytes, now);
            assessment.signal = assessment.signal.max(said.signal);
            assessment.matches.extend(said.matches);
            assessment.deny |= said.deny;
        }
        assessment
    }
}

impl SignalSource for Plugins {
    fn name(&self) -> &str {
        SIGNAL
    }

    fn assess(&self, request: &RequestView) -> Assessment {
        self.assess_at(request, Instant::now())
    }
}
