//! The `ml_anomaly` signal: every value of a request scored by the model in one batch
//! (values seen recently: from the cache); the request's signal is its most suspicious
//! value's probability.

use super::cache::ValueCache;
use super::features::{self, Location};
use super::model::Model;
use crate::request::RequestView;
use crate::verdict::cut;
use crate::{Assessment, Error, SignalSource};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The signal's name: its weight is `scoring.weights.ml_anomaly` (0.4 by default).
pub const SIGNAL: &str = "ml_anomaly";

/// From this signal on, the verdict lists a match naming the value that scored highest.
pub const EXPLAIN_FROM: f64 = 0.5;

/// The request-anomaly model as a [`SignalSource`].
///
/// ```
/// use std::sync::Arc;
/// use waf_core::ml::AnomalyScorer;
/// use waf_core::request::{Limits, RawRequest, RequestView};
/// use waf_core::{SignalSource, Waf};
///
/// let scorer = AnomalyScorer::embedded()?;
/// let view = |uri| RequestView::from_raw(
///     RawRequest {
///         method: "GET",
///         uri,
///         protocol: "HTTP/1.1",
///         headers: vec![(b"host", b"shop.example")],
///         body: Default::default(),
///         client: "203.0.113.9".parse().unwrap(),
///     },
///     &Limits::default(),
/// );
/// let attack = scorer.assess(&view("/item?id=1%27%20union%20select%20password%20from%20users--"));
/// let benign = scorer.assess(&view("/item?id=1042"));
/// assert!(attack.signal > benign.signal);
/// assert_eq!(scorer.errors(), 0); // failed inferences, for metrics
/// // Weighted by `ml_anomaly` in the engine's score.
/// let waf = Waf::builder().signal_source(Arc::new(scorer)).build()?;
/// # Ok::<(), waf_core::Error>(())
/// ```
///
/// A value's probability depends on the value alone, so the scorer keeps those of
/// recent values (up to [`DEFAULT_CACHE`] values of at most
/// [`MAX_CACHED_VALUE`](super::MAX_CACHED_VALUE) bytes): the header values that most
/// requests repeat cost a lookup, not an inference.
///
/// Clones share the model, the kept probabilities and the count of failed inferences
/// ([`errors`](Self::errors)).
#[derive(Clone)]
pub struct AnomalyScorer {
    model: Model,
    cache: Arc<ValueCache>,
    errors: Arc<AtomicU64>,
}

/// How many values' probabilities a scorer keeps unless told otherwise.
pub const DEFAULT_CACHE: usize = 4096;

impl std::fmt::Debug for AnomalyScorer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AnomalyScorer")
            .field("model", &self.model)
            .field("errors", &self.errors())
            .finish_non_exhaustive()
    }
}

impl AnomalyScorer {
    /// Scores with `model`.
    pub fn new(model: Model) -> Self {
        Self {
            model,
            cache: Arc::new(ValueCache::new(DEFAULT_CACHE)),
            errors: Arc::default(),
        }
    }

    /// Keeps the probabilities of up to about `values` recent values instead of
    /// [`DEFAULT_CACHE`]; 0 scores every value every time. The scores are the same
    /// either way.
    pub fn cache_capacity(mut self, values: usize) -> Self {
        self.cache = Arc::new(ValueCache::new(values));
        self
    }

    /// How many values' probabilities are kept now.
    pub fn cached_values(&self) -> usize {
        self.cache.len()
    }

    /// Scores with the embedded model.
    pub fn embedded() -> Result<Self, Error> {
        Model::embedded().map(Self::new)
    }

    /// The model in use.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// How many inferences failed since the scorer was made (metrics export it).
    pub fn errors(&self) -> u64 {
        self.errors.load(Ordering::Relaxed)
    }

    /// The probability of every scored value of `request`, in
    /// [`request_values`](features::request_values)' order. An inference failure (which
    /// a model checked at load does not produce) counts as no evidence: all zeros; it is
    /// counted ([`errors`](Self::errors)) and logged.
    pub fn value_scores<'r>(&self, request: &'r RequestView) -> Vec<(Location, &'r [u8], f64)> {
        let values = features::request_values(request);
        let mut probabilities: Vec<Option<f32>> = values
            .iter()
            .map(|&(location, value)| self.cache.get(location, value))
            .collect();
        let unknown: Vec<usize> = (0..values.len())
            .filter(|&i| probabilities[i].is_none())
            .collect();
        if !unknown.is_empty() {
            let scored = self.model.probabilities_with(unknown.len(), |k, row| {
                let (location, value) = values[unknown[k]];
                features::value_features(location, value, row);
            });
            match scored {
                Ok(scored) => {
                    for (&i, p) in unknown.iter().zip(scored) {
                        let (location, value) = values[i];
                        self.cache.insert(location, value, p);
                        probabilities[i] = Some(p);
                    }
                }
                Err(error) => self.failed(&error),
            }
        }
        values
            .into_iter()
            .zip(probabilities)
            .map(|((location, value), p)| (location, value, f64::from(p.unwrap_or(0.0))))
            .collect()
    }
}

impl AnomalyScorer {
    /// Counts a failed inference and warns on the 1st, 2nd, 4th, 8th… failure: a model
    /// that fails on every request must not flood the log.
    fn failed(&self, error: &Error) {
        let failures = self.errors.fetch_add(1, Ordering::Relaxed) + 1;
        if failures.is_power_of_two() {
            tracing::warn!(
                target: "waf",
                failures,
                %error,
                "ML inference failed; the request is scored as no evidence"
            );
        }
    }
}

impl SignalSource for AnomalyScorer {
    fn name(&self) -> &str {
        SIGNAL
    }

    fn assess(&self, request: &RequestView) -> Assessment {
        let top = self
            .value_scores(request)
            .into_iter()
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let Some((location, value, signal)) = top else {
            return Assessment::default();
        };
        super::assessment(SIGNAL, signal, EXPLAIN_FROM, || {
            (
                format!(
                    "ML anomaly score {signal:.2} for a {} value",
                    location.name()
                ),
                variable(location),
                cut(value),
            )
        })
    }
}

/// The SecLang collection a location belongs to, for the verdict's match.
fn variable(location: Location) -> &'static str {
    match location {
        Location::Path => "REQUEST_FILENAME",
        Location::Query => "ARGS_GET",
        Location::Body => "ARGS_POST",
        Location::Cookie => "REQUEST_COOKIES",
        Location::Header => "REQUEST_HEADERS",
        Location::RawBody => "REQUEST_BODY",
    }
}
