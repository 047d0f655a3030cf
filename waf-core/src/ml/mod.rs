//! Machine-learned signals (cargo feature `ml`).
//!
//! * [`AnomalyScorer`], the `ml_anomaly` signal: a model trained on the project's
//!   corpus (`waf-core/ml/`, model card in `waf-core/ml/MODEL_CARD.md`) scores each
//!   input value of a request for attack likelihood; the request's signal is the
//!   highest. The model is an ONNX file, embedded in the crate (zero configuration) or
//!   read from a path, run with `tract` and optimised once at load.
//! * [`Behaviour`], the `ml_behaviour` signal: per-client sliding windows (request rate,
//!   distinct paths and user names, failure ratio, header-set changes) scored by
//!   explicit rules, for attacks whose requests look normal one by one (credential
//!   stuffing).
//!
//! ```
//! use std::sync::Arc;
//! use waf_core::ml::{self, Loaded, ModelSettings};
//! use waf_core::Waf;
//!
//! let scorer = match ml::load(&ModelSettings::default())? {
//!     Loaded::Ready(scorer) => scorer,
//!     Loaded::Disabled { reason } => panic!("the embedded model loads: {reason}"),
//! };
//! let waf = Waf::builder().signal_source(Arc::new(scorer)).build()?;
//! # Ok::<(), waf_core::Error>(())
//! ```

mod anomaly;
pub mod behaviour;
mod cache;
pub mod features;
mod model;

pub use anomaly::{AnomalyScorer, DEFAULT_CACHE, EXPLAIN_FROM, SIGNAL};
pub use behaviour::Behaviour;
pub use cache::MAX_CACHED_VALUE;
pub use model::{EMBEDDED, Model};

use crate::verdict::RuleMatch;
use crate::{Assessment, Error, ErrorKind};
use std::path::PathBuf;

/// Which model to load, and what a model that cannot be loaded does.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelSettings {
    /// An ONNX file to use instead of the embedded model.
    pub path: Option<PathBuf>,
    /// What a missing or corrupt file does.
    pub on_error: OnModelError,
}

/// What a model that cannot be loaded does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnModelError {
    /// Refuse to start: [`load`] returns the error.
    #[default]
    Fail,
    /// Run without the ML signal: [`load`] returns [`Loaded::Disabled`] with the
    /// reason, for the caller to log as a warning.
    Disable,
}

/// The outcome of [`load`].
#[derive(Debug)]
pub enum Loaded {
    /// The model is ready.
    Ready(AnomalyScorer),
    /// The model could not be loaded and the settings say to go on without it.
    Disabled {
        /// Why, naming the file.
        reason: Error,
    },
}

/// Loads the model the settings name (reading the file is the only I/O, once, at
/// start). A missing, unreadable or corrupt file is an error naming it, or
/// [`Loaded::Disabled`] under [`OnModelError::Disable`]; never a panic.
pub fn load(settings: &ModelSettings) -> Result<Loaded, Error> {
    let model = match &settings.path {
        None => Model::embedded(),
        Some(path) => std::fs::read(path)
            .map_err(|e| {
                Error::new(
                    ErrorKind::Config,
                    format!("ML model {}: cannot be read: {e}", path.display()),
                )
            })
            .and_then(|bytes| Model::from_bytes(&path.display().to_string(), &bytes)),
    };
    match (model, settings.on_error) {
        (Ok(model), _) => Ok(Loaded::Ready(AnomalyScorer::new(model))),
        (Err(reason), OnModelError::Disable) => Ok(Loaded::Disabled { reason }),
        (Err(e), OnModelError::Fail) => Err(e),
    }
}

/// An assessment of `signal` (named `name`), explained by a notice match (rule id 0)
/// when it reaches `explain_from`: `what` gives its message, variable and value.
fn assessment(
    name: &str,
    signal: f64,
    explain_from: f64,
    what: impl FnOnce() -> (String, &'static str, String),
) -> Assessment {
    let matches = if signal >= explain_from {
        let (message, variable, value) = what();
        vec![RuleMatch::signal(name, message, variable.to_owned(), value)]
    } else {
        Vec::new()
    };
    Assessment {
        signal,
        matches,
        ..Default::default()
    }
}
