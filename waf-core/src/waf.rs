//! The engine handle.

use crate::Error;
use crate::blocklist::{Ban, Blocklist};
use crate::config::{Config, Mode};
use crate::decision::{Decision, DecisionStream, Origin};
use crate::defense::Tracker;
use crate::ratelimit::{Limited, RateLimiter};
use crate::request::{Limits, RequestView};
use crate::response::ResponseView;
use crate::rule::{RuleSet, Transaction};
use crate::scoring::RULES_SIGNAL;
use crate::verdict::{Action, Reason, RuleMatch, Verdict};
use arc_swap::ArcSwap;
use ipnet::IpNet;
use std::sync::Arc;
use std::sync::mpsc::Receiver;
use std::time::{Duration, Instant};
use waf_rules::seclang::EngineMode;

/// A source of evidence other than the rules: an ML model, threat intelligence, a
/// plugin. Its signal is weighted by the `scoring.weights` entry of the same name.
pub trait SignalSource: Send + Sync {
    /// The signal's name, the key of its weight (`ml_anomaly`, `threat_intel`, …).
    fn name(&self) -> &str;

    /// The signal for `request`, in [0, 1] (values outside are clamped, NaN is 0), and
    /// the matches that explain it.
    fn assess(&self, request: &RequestView) -> Assessment;

    /// Sees how a request this source assessed ended, when the caller went through
    /// [`Waf::begin`] and [`Exchange::finish`]: the response status, or `None` when the
    /// request was stopped and no response came. For sources that learn from outcomes
    /// (a client's failure ratio); the default ignores it.
    fn observe_response(&self, request: &RequestView, status: Option<u16>) {
        let _ = (request, status);
    }
}

/// What a [`SignalSource`] says about a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Assessment {
    /// The signal in [0, 1].
    pub signal: f64,
    /// Matches that explain it, listed in the verdict after the rules' matches.
    pub matches: Vec<RuleMatch>,
    /// Whether the source denies the request whatever the score (a plugin's deny, or
    /// a failing plugin that fails closed): the engine answers with the configured
    /// deny status, reason [`Reason::DenyRule`], and `matches` say why.
    pub deny: bool,
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
    limiter: RateLimiter,
    offenders: Tracker,
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

    /// Reads the configuration in force without copying it (one atomic load).
    pub fn with_config<R>(&self, read: impl FnOnce(&Config) -> R) -> R {
        read(&self.shared.current.load().config)
    }

    /// Inspects one request (the request phases; see [`Waf::begin`] to inspect its
    /// response too).
    pub fn inspect(&self, request: &RequestView) -> Verdict {
        self.inspect_at(request, Instant::now())
    }

    /// Inspects one request as if at `now`: what rate limits, bans and active defense
    /// see as the time. For tests and for replaying recorded traffic at its own pace.
    pub fn inspect_at(&self, request: &RequestView, now: Instant) -> Verdict {
        let generation = self.shared.current.load_full();
        let mut transaction = Transaction::new(&generation.config.limits);
        self.inspect_request(
            &generation,
            request,
            &mut transaction,
            LimitCheck::Local,
            now,
        )
    }

    /// The rate limiter's state: how many keys it holds, how many it evicted.
    pub fn rate_limiter(&self) -> &RateLimiter {
        &self.shared.limiter
    }

    /// Inspects a request and keeps what its rules found, so that its response can be
    /// inspected too ([`Exchange::inspect_response`]).
    ///
    /// ```
    /// use std::net::Ipv4Addr;
    /// use waf_core::request::{Limits, RawRequest, RequestView};
    /// use waf_core::response::ResponseView;
    /// use waf_core::rule::RuleSet;
    /// use waf_core::{Action, Waf};
    ///
    /// let rules = RuleSet::from_seclang(
    ///     "mine",
    ///     &waf_rules::seclang::parse(
    ///         "mine.conf",
    ///         r#"SecResponseBodyAccess On
    /// SecRule RESPONSE_BODY "@contains ORA-00933" "id:7,phase:4,deny,msg:'SQL error leak'""#,
    ///     )?,
    /// )?;
    /// let waf = Waf::builder().rules(rules).build()?;
    /// let request = RequestView::from_raw(
    ///     RawRequest {
    ///         method: "GET",
    ///         uri: "/items?id=1",
    ///         protocol: "HTTP/1.1",
    ///         headers: vec![],
    ///         body: Default::default(),
    ///         client: Ipv4Addr::LOCALHOST.into(),
    ///     },
    ///     &Limits::default(),
    /// );
    /// let mut exchange = waf.begin(request);
    /// assert_eq!(exchange.request_verdict().action, Action::Allow);
    /// let response = ResponseView::new(500, "HTTP/1.1", vec![("content-type", "text/html")], "ORA-00933: SQL command not properly ended");
    /// let verdict = exchange.inspect_response(&response);
    /// assert_eq!(verdict.action, Action::Deny { status: 403 });
    /// assert_eq!(verdict.rule_ids(), [7]);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn begin(&self, request: RequestView) -> Exchange {
        self.begin_with(request, LimitCheck::Local)
    }

    /// [`Waf::begin`] for a request whose rate limits were counted elsewhere (a limiter
    /// whose state is shared between nodes): `limited` is that limiter's answer, and
    /// this engine's own limiter does not count the request.
    pub fn begin_counted(&self, request: RequestView, limited: Option<Limited>) -> Exchange {
        self.begin_with(request, LimitCheck::Counted(limited))
    }

    fn begin_with(&self, request: RequestView, limits: LimitCheck) -> Exchange {
        let generation = self.shared.current.load_full();
        let mut transaction = Transaction::new(&generation.config.limits);
        let verdict = self.inspect_request(
            &generation,
            &request,
            &mut transaction,
            limits,
            Instant::now(),
        );
        let seen = transaction.matches().len();
        Exchange {
            waf: self.clone(),
            generation,
            request,
            transaction,
            verdict,
            seen,
        }
    }

    fn inspect_request(
        &self,
        generation: &Generation,
        request: &RequestView,
        transaction: &mut Transaction,
        limits: LimitCheck,
        now: Instant,
    ) -> Verdict {
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
        let limited = match limits {
            LimitCheck::Local => self.shared.limiter.check(
                &config.rate_limits,
                config.limiter.max_keys,
                request,
                now,
            ),
            LimitCheck::Counted(limited) => limited,
        };
        if let Some(limited) = limited {
            let verdict = Verdict {
                action: Action::RateLimit {
                    retry_after: limited.retry_after,
                },
                reason: if limited.exceeded {
                    Reason::RateLimited
                } else {
                    Reason::CoolingDown
                },
                score: 0.0,
                anomaly_score: 0,
                contributions: Vec::new(),
                matches: vec![RuleMatch::rate_limit(&limited, request)],
            };
            return enforce(config.mode, verdict);
        }
        transaction.run_request(&generation.rules, request);
        let outcome = transaction.outcome();
        let threshold = outcome
            .anomaly_threshold
            .unwrap_or(scoring.inbound_anomaly_threshold);
        let mut contributions = vec![scoring.contribution(
            RULES_SIGNAL,
            scoring.rules_signal(outcome.anomaly_score, threshold),
        )];
        let mut matches = outcome.matches;
        let mut source_denies = false;
        for source in &self.shared.sources {
            let assessment = source.assess(request);
            contributions.push(scoring.contribution(source.name(), assessment.signal));
            matches.extend(assessment.matches);
            source_denies |= assessment.deny;
        }
        let score = contributions.iter().map(|c| c.points()).sum();
        let (action, reason) = match outcome.deny_status {
            Some(status) => (Action::Deny { status }, Reason::DenyRule),
            None if source_denies => (
                Action::Deny {
                    status: config.deny_status,
                },
                Reason::DenyRule,
            ),
            None => scoring.decide(score, outcome.anomaly_score, threshold, config.deny_status),
        };
        let mode = mode(config.mode, &generation.rules, outcome.engine);
        if mode == Mode::Block {
            // Only what is enforced counts: detection only never bans.
            let denied = matches!(action, Action::Deny { .. });
            if let Some(ban) = self.shared.offenders.observe(
                &config.active_defense,
                request.client,
                denied,
                score,
                now,
            ) {
                self.ban_at(request.client.into(), Some(ban.ttl), &ban.reason, now);
            }
        }
        enforce(
            mode,
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
        let old = self.shared.current.rcu(|current| Generation {
            config: config.clone(),
            rules: current.rules.clone(),
        });
        if old.config.rate_limits != config.rate_limits {
            // The limiter's keys name limits by position: they would count against
            // other limits now.
            self.shared.limiter.clear();
        }
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
        self.ban_at(target, ttl, reason, Instant::now());
    }

    fn ban_at(&self, target: IpNet, ttl: Option<Duration>, reason: &str, now: Instant) {
        self.shared.blocklist.insert(target, ttl, reason, now);
        self.shared.decisions.publish(Decision::Ban {
            target: target.trunc(),
            ttl,
            reason: reason.to_owned(),
            origin: Origin::Local,
        });
    }

    /// Lifts the ban on exactly `target`; tells subscribers if there was one.
    pub fn unban(&self, target: IpNet, reason: &str) -> bool {
        self.apply(Decision::Unban {
            target,
            reason: reason.to_owned(),
            origin: Origin::Local,
        })
    }

    /// Applies a decision made elsewhere (another node's ban, received through shared
    /// state) as made: the blocklist changes and subscribers hear of it with its
    /// origin. True if the blocklist changed (an unban or expiry of a ban it did not
    /// hold changes nothing and is not published).
    ///
    /// ```
    /// use std::time::Duration;
    /// use waf_core::decision::{Decision, Origin};
    /// use waf_core::Waf;
    ///
    /// let waf = Waf::default();
    /// let decisions = waf.subscribe();
    /// let ban = Decision::Ban {
    ///     target: "198.51.100.0/24".parse().unwrap(),
    ///     ttl: Some(Duration::from_secs(600)),
    ///     reason: "node-2: active defense".into(),
    ///     origin: Origin::Shared,
    /// };
    /// assert!(waf.apply(ban.clone()));
    /// assert_eq!(waf.bans()[0].reason, "node-2: active defense");
    /// assert_eq!(decisions.try_recv().unwrap(), ban);
    /// ```
    pub fn apply(&self, decision: Decision) -> bool {
        let changed = match &decision {
            Decision::Ban {
                target,
                ttl,
                reason,
                ..
            } => {
                self.shared
                    .blocklist
                    .insert(*target, *ttl, reason, Instant::now());
                true
            }
            Decision::Unban { target, .. } | Decision::Expired { target } => {
                self.shared.blocklist.remove(*target)
            }
        };
        if changed {
            self.shared.decisions.publish(match decision {
                Decision::Ban {
                    target,
                    ttl,
                    reason,
                    origin,
                } => Decision::Ban {
                    target: target.trunc(),
                    ttl,
                    reason,
                    origin,
                },
                Decision::Unban {
                    target,
                    reason,
                    origin,
                } => Decision::Unban {
                    target: target.trunc(),
                    reason,
                    origin,
                },
                Decision::Expired { target } => Decision::Expired {
                    target: target.trunc(),
                },
            });
        }
        changed
    }

    /// The bans in force: what a subscriber that starts late (a kernel blocklist, a
    /// node joining) loads before it follows the decision stream.
    pub fn bans(&self) -> Vec<Ban> {
        self.shared.blocklist.entries(Instant::now())
    }

    /// Removes expired bans and tells subscribers ([`Decision::Expired`]). Expired
    /// bans stop applying on their own; call this periodically so that subscribers
    /// hear of them. Returns how many expired.
    pub fn sweep_expired(&self) -> usize {
        let expired = self.shared.blocklist.take_expired(Instant::now());
        for target in &expired {
            self.shared
                .decisions
                .publish(Decision::Expired { target: *target });
        }
        expired.len()
    }

    /// A new subscription to the decision stream.
    pub fn subscribe(&self) -> Receiver<Decision> {
        self.shared.decisions.subscribe()
    }
}

/// Who counts a request against the rate limits.
enum LimitCheck {
    /// This engine's limiter.
    Local,
    /// A limiter elsewhere, with its answer.
    Counted(Option<Limited>),
}

/// The mode in force: the configuration's, unless the rules run in detection only
/// (`SecRuleEngine DetectionOnly` or `ctl:ruleEngine=DetectionOnly`).
fn mode(configured: Mode, rules: &RuleSet, ctl: Option<EngineMode>) -> Mode {
    match ctl.unwrap_or(rules.settings().engine) {
        EngineMode::On => configured,
        // Mirror is detection only already.
        EngineMode::DetectionOnly | EngineMode::Off => match configured {
            Mode::Block => Mode::Detect,
            detect_or_mirror => detect_or_mirror,
        },
    }
}

/// A request inspected by [`Waf::begin`], waiting for its response.
#[derive(Debug)]
pub struct Exchange {
    /// The engine, whose signal sources see the response.
    waf: Waf,
    generation: Arc<Generation>,
    request: RequestView,
    transaction: Transaction,
    verdict: Verdict,
    /// Matches reported so far.
    seen: usize,
}

impl Exchange {
    /// The request's verdict.
    pub fn request_verdict(&self) -> &Verdict {
        &self.verdict
    }

    /// The request inspected.
    pub fn request(&self) -> &RequestView {
        &self.request
    }

    /// Whether the rules read response bodies of this `Content-Type`
    /// (`SecResponseBodyAccess` and `SecResponseBodyMimeType`): the caller need only
    /// buffer those.
    pub fn inspects_response_body(&self, content_type: &[u8]) -> bool {
        self.generation
            .rules
            .settings()
            .inspects_response_type(content_type)
    }

    /// The largest response body the rules inspect (`SecResponseBodyLimit`), if they
    /// set one.
    pub fn response_body_limit(&self) -> Option<u64> {
        self.generation.rules.settings().response_body_limit
    }

    /// Runs the response phases (3 and 4) on `response`. The verdict holds the
    /// matches of those phases; it denies when a response rule denies (the caller
    /// then replaces the response) or, with the CRS, when the outbound anomaly score
    /// reaches its threshold.
    pub fn inspect_response(&mut self, response: &ResponseView) -> Verdict {
        if self.verdict.action.status().is_some() {
            // The request was stopped; there is no response of the inner service.
            return self.verdict.clone();
        }
        self.transaction
            .run_response(&self.generation.rules, &self.request, response);
        let matches = self.new_matches();
        let generation = &self.generation;
        let config = &generation.config;
        let outcome = self.transaction.outcome();
        let outbound = outcome.outbound_anomaly_score.unwrap_or(0);
        let (action, reason) = match outcome.deny_status {
            Some(status) => (Action::Deny { status }, Reason::DenyRule),
            None => (Action::Allow, Reason::BelowThreshold),
        };
        enforce(
            mode(config.mode, &generation.rules, outcome.engine),
            Verdict {
                action,
                reason,
                score: 0.0,
                anomaly_score: outbound,
                contributions: Vec::new(),
                matches,
            },
        )
    }

    /// Runs the logging phase (5) once the response (if any) is on its way; the verdict
    /// holds that phase's matches and never stops anything. The signal sources then see
    /// the response's status ([`SignalSource::observe_response`]).
    pub fn finish(mut self, response: Option<&ResponseView>) -> Verdict {
        self.transaction
            .run_logging(&self.generation.rules, &self.request, response);
        for source in &self.waf.shared.sources {
            source.observe_response(&self.request, response.map(|r| r.status));
        }
        let matches = self.new_matches();
        let anomaly_score = self.transaction.outcome().anomaly_score;
        let action = if matches.is_empty() {
            Action::Allow
        } else {
            Action::Log
        };
        Verdict {
            action,
            reason: Reason::BelowThreshold,
            score: 0.0,
            anomaly_score,
            contributions: Vec::new(),
            matches,
        }
    }

    /// The matches logged since the last verdict.
    fn new_matches(&mut self) -> Vec<RuleMatch> {
        let all = self.transaction.matches();
        let new = all[self.seen.min(all.len())..].to_vec();
        self.seen = all.len();
        new
    }
}

/// In detection-only mode, anything but a quiet allow becomes `Log`.
fn enforce(mode: Mode, mut verdict: Verdict) -> Verdict {
    let enforced = match mode {
        Mode::Block => true,
        Mode::Detect => false,
        Mode::Mirror => verdict.reason == Reason::Blocklisted,
    };
    if !enforced && (verdict.action != Action::Allow || !verdict.matches.is_empty()) {
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
                limiter: RateLimiter::default(),
                offenders: Tracker::default(),
                decisions: DecisionStream::default(),
            }),
        })
    }
}

#[cfg(test)]
mod tests;
