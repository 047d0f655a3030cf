//! The engine handle.

use crate::Error;
use crate::blocklist::Blocklist;
use crate::config::{Config, Mode};
use crate::decision::{Decision, DecisionStream};
use crate::request::{Limits, RequestView};
use crate::rule::RuleSet;
use crate::scoring::RULES_SIGNAL;
use crate::verdict::{Action, Reason, RuleMatch, Verdict};
use arc_swap::ArcSwap;
use ipnet::IpNet;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};

/// A source of evidence other than the rules: an ML model, threat intelligence, a
/// plugin. Its signal is weighted by the `scoring.weights` entry of the same name.
pub trait SignalSource: Send + Sync {
    /// The signal's name, the key of its weight (`ml_anomaly`, `threat_intel`, …).
    fn name(&self) -> &str;

    /// The signal for `request`, in [0, 1] (values outside are clamped, NaN is 0), and
    /// the matches that explain it.
    fn assess(&self, request: &RequestView) -> Assessment;
}

/// What a [`SignalSource`] says about a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assessment {
    /// The signal in [0, 1].
    pub signal: f64,
    /// Matches that explain it, listed in the verdict after the rules' matches.
    pub matches: Vec<RuleMatch>,
}

/// What one engine generation holds; swapped whole on reload.
#[derive(Debug)]
struct Generation {
    config: Config,
    rules: RuleSet,
}

struct Shared {
    current: ArcSwap<Generation>,
    sources: Vec<Arc<dyn SignalSource>>,
    blocklist: Blocklist,
    decisions: DecisionStream,
}

/// The engine: rules, scoring, the blocklist and the decision stream.
///
/// `Waf` is `Send + Sync` and cheap to clone (clones share everything). Its rules and
/// configuration can be replaced while requests are being inspected: each inspection
/// sees one whole generation, old or new, never a mix.
///
/// ```
/// use std::net::Ipv4Addr;
/// use waf_core::request::{RawRequest, RequestView};
/// use waf_core::{Action, Waf};
///
/// let waf = Waf::default(); // the built-in rules, blocking mode
/// let request = RequestView::from_raw(
///     RawRequest {
///         method: "GET",
///         uri: "/api/user?id=1%27%20OR%20%271%27%3D%271",
///         protocol: "HTTP/1.1",
///         headers: vec![(b"host", b"shop.example")],
///         body: Default::default(),
///         client: Ipv4Addr::new(203, 0, 113, 9).into(),
///     },
///     &waf.limits(),
/// );
/// let verdict = waf.inspect(&request);
/// assert_eq!(verdict.action, Action::Deny { status: 403 });
/// assert_eq!(verdict.matches[0].variable, "ARGS:id");
/// ```
#[derive(Clone)]
pub struct Waf {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Waf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let generation = self.shared.current.load();
        f.debug_struct("Waf")
            .field("mode", &generation.config.mode)
            .field("rules", &generation.rules.rules().len())
            .field("sources", &self.shared.sources.len())
            .finish_non_exhaustive()
    }
}

impl Default for Waf {
    /// The built-in rules with the default configuration.
    fn default() -> Self {
        Self::builder()
            .build()
            .expect("the default configuration is valid")
    }
}

impl Waf {
    /// A builder, starting from the built-in rules and the default configuration.
    pub fn builder() -> WafBuilder {
        WafBuilder {
            config: Config::default(),
            rules: None,
            sources: Vec::new(),
        }
    }

    /// The request parsing limits in force.
    pub fn limits(&self) -> Limits {
        self.shared.current.load().config.limits.clone()
    }

    /// The configuration in force.
    pub fn config(&self) -> Config {
        self.shared.current.load().config.clone()
    }

    /// Inspects one request.
    pub fn inspect(&self, request: &RequestView) -> Verdict {
        self.inspect_at(request, Instant::now())
    }

    fn inspect_at(&self, request: &RequestView, now: Instant) -> Verdict {
        let generation = self.shared.current.load();
        let config = &generation.config;
        let scoring = &config.scoring;
        if let Some(reason) = self.shared.blocklist.lookup(request.client, now) {
            let verdict = Verdict {
                action: Action::Deny {
                    status: config.deny_status,
                },
                reason: Reason::Blocklisted,
                score: 0.0,
                anomaly_score: 0,
                contributions: Vec::new(),
                matches: vec![RuleMatch::blocklist(&reason, request)],
            };
            return enforce(config.mode, verdict);
        }
        let outcome = generation.rules.evaluate(request);
        let mut contributions =
            vec![scoring.contribution(RULES_SIGNAL, scoring.rules_signal(outcome.anomaly_score))];
        let mut matches = outcome.matches;
        for source in &self.shared.sources {
            let assessment = source.assess(request);
            contributions.push(scoring.contribution(source.name(), assessment.signal));
            matches.extend(assessment.matches);
        }
        let score = contributions.iter().map(|c| c.points()).sum();
        let (action, reason) = match outcome.deny_status {
            Some(status) => (Action::Deny { status }, Reason::DenyRule),
            None => scoring.decide(score, outcome.anomaly_score, config.deny_status),
        };
        enforce(
            config.mode,
            Verdict {
                action,
                reason,
                score,
                anomaly_score: outcome.anomaly_score,
                contributions,
                matches,
            },
        )
    }

    /// Replaces the rules; requests in flight finish with the old ones.
    pub fn reload_rules(&self, rules: RuleSet) {
        self.shared.current.rcu(|current| Generation {
            config: current.config.clone(),
            rules: rules.clone(),
        });
    }

    /// Replaces the configuration (mode, scoring, limits) after checking it.
    pub fn reload_config(&self, config: Config) -> Result<(), Error> {
        config.validate()?;
        self.shared.current.rcu(|current| Generation {
            config: config.clone(),
            rules: current.rules.clone(),
        });
        Ok(())
    }

    /// Switches between blocking and detection only.
    pub fn set_mode(&self, mode: Mode) {
        self.shared.current.rcu(|current| Generation {
            config: Config {
                mode,
                ..current.config.clone()
            },
            rules: current.rules.clone(),
        });
    }

    /// Bans `target` for `ttl` (`None`: until unbanned) and tells subscribers.
    pub fn ban(&self, target: IpNet, ttl: Option<Duration>, reason: &str) {
        self.shared
            .blocklist
            .insert(target, ttl, reason, Instant::now());
        self.shared.decisions.publish(Decision::Ban {
            target: target.trunc(),
            ttl,
            reason: reason.to_owned(),
        });
    }

    /// Lifts the ban on exactly `target`; tells subscribers if there was one.
    pub fn unban(&self, target: IpNet, reason: &str) -> bool {
        let removed = self.shared.blocklist.remove(target);
        if removed {
            self.shared.decisions.publish(Decision::Unban {
                target: target.trunc(),
                reason: reason.to_owned(),
            });
        }
        removed
    }

    /// Removes expired bans and tells subscribers (`reason: "expired"`). Expired bans
    /// stop applying on their own; call this periodically so that subscribers hear of
    /// them. Returns how many expired.
    pub fn sweep_expired(&self) -> usize {
        let expired = self.shared.blocklist.take_expired(Instant::now());
        for target in &expired {
            self.shared.decisions.publish(Decision::Unban {
                target: *target,
                reason: "expired".into(),
            });
        }
        expired.len()
    }

    /// A new subscription to the decision stream.
    pub fn subscribe(&self) -> Receiver<Decision> {
        self.shared.decisions.subscribe()
    }
}

/// In detection-only mode, anything but a quiet allow becomes `Log`.
fn enforce(mode: Mode, mut verdict: Verdict) -> Verdict {
    if mode == Mode::Detect && (verdict.action != Action::Allow || !verdict.matches.is_empty()) {
        verdict.action = Action::Log;
    }
    verdict
}

/// Builds a [`Waf`].
///
/// ```
/// use waf_core::{Mode, Waf};
/// let waf = Waf::builder()
///     .mode(Mode::Detect)
///     .threshold(0.9)
///     .weight("ml_anomaly", 0.5)
///     .build()?;
/// assert_eq!(waf.config().scoring.threshold, 0.9);
/// # Ok::<(), waf_core::Error>(())
/// ```
pub struct WafBuilder {
    config: Config,
    rules: Option<RuleSet>,
    sources: Vec<Arc<dyn SignalSource>>,
}

impl WafBuilder {
    /// Starts from this configuration (e.g. from [`Config::from_toml`]).
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// Uses these rules instead of the built-in ones.
    pub fn rules(mut self, rules: RuleSet) -> Self {
        self.rules = Some(rules);
        self
    }

    /// Blocking or detection only.
    pub fn mode(mut self, mode: Mode) -> Self {
        self.config.mode = mode;
        self
    }

    /// The deny threshold of the weighted score.
    pub fn threshold(mut self, threshold: f64) -> Self {
        self.config.scoring.threshold = threshold;
        self
    }

    /// The weight of signal `name`.
    pub fn weight(mut self, name: &str, weight: f64) -> Self {
        self.config.scoring.weights.insert(name.to_owned(), weight);
        self
    }

    /// Request parsing limits.
    pub fn limits(mut self, limits: Limits) -> Self {
        self.config.limits = limits;
        self
    }

    /// Adds a signal source.
    pub fn signal_source(mut self, source: Arc<dyn SignalSource>) -> Self {
        self.sources.push(source);
        self
    }

    /// Checks the configuration and builds the engine.
    pub fn build(self) -> Result<Waf, Error> {
        self.config.validate()?;
        let rules = self.rules.unwrap_or_else(RuleSet::builtin);
        Ok(Waf {
            shared: Arc::new(Shared {
                current: ArcSwap::from_pointee(Generation {
                    config: self.config,
                    rules,
                }),
                sources: self.sources,
                blocklist: Blocklist::default(),
                decisions: DecisionStream::default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests;
