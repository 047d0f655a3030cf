use crate::challenge::{ChallengeSettings, Challenger};
use crate::client_addr::TrustedProxies;
use crate::observe::Observer;
use crate::service::WafService;
use crate::shared::Shared;
use http::HeaderName;
use std::sync::Arc;
use tower_layer::Layer;
use waf_core::Waf;

/// What to do with a request body larger than the buffering limit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Oversize {
    /// Answer 413 Payload Too Large without calling the inner service.
    #[default]
    Reject,
    /// Inspect the first `body_limit` bytes, then forward the whole body.
    InspectPrefix,
}

/// The settings a [`WafService`] shares with its clones.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    pub body_limit: usize,
    pub response_body_limit: usize,
    pub oversize: Oversize,
    pub trusted_proxies: TrustedProxies,
    pub request_id_header: HeaderName,
    pub shared: Option<Shared>,
    pub observers: Observers,
    pub challenger: Challenger,
}

/// The observers a layer calls, in the order they were added.
#[derive(Clone, Default)]
pub(crate) struct Observers(pub Vec<Arc<dyn Observer>>);

impl std::fmt::Debug for Observers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} observers", self.0.len())
    }
}

/// Applies [`WafService`] to a service: the engine in front of it.
///
/// See the [crate docs](crate) for an example.
#[derive(Debug, Clone)]
pub struct WafLayer {
    waf: Waf,
    options: Arc<Options>,
}

impl WafLayer {
    /// A layer with `waf` and the default settings: 1 MiB request body limit, oversize
    /// request bodies refused, 1 MiB response body limit, no trusted proxies,
    /// `x-request-id`.
    pub fn new(waf: Waf) -> Self {
        Self {
            waf,
            options: Arc::new(Options {
                body_limit: 1024 * 1024,
                response_body_limit: 1024 * 1024,
                oversize: Oversize::Reject,
                trusted_proxies: TrustedProxies::default(),
                request_id_header: HeaderName::from_static("x-request-id"),
                shared: None,
                observers: Observers::default(),
                challenger: Challenger::new(ChallengeSettings::default()),
            }),
        }
    }

    /// How many request body bytes to buffer for inspection.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.options).body_limit = bytes;
        self
    }

    /// How many response body bytes to buffer for inspection (phase 4), 1 MiB unless
    /// set; the rules' `SecResponseBodyLimit` lowers it further.
    ///
    /// Only bodies the rules read are buffered: `SecResponseBodyAccess On` and a
    /// `Content-Type` listed in `SecResponseBodyMimeType`. A longer body has its first
    /// `bytes` inspected and is then sent on whole, still streaming (ModSecurity's
    /// `ProcessPartial`). See [Response inspection](crate#response-inspection).
    ///
    /// ```
    /// use waf_core::Waf;
    /// use waf_tower::WafLayer;
    ///
    /// // Inspect at most the first 64 KiB of each HTML or text response.
    /// let layer = WafLayer::new(Waf::default()).response_body_limit(64 * 1024);
    /// # let _ = layer;
    /// ```
    pub fn response_body_limit(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.options).response_body_limit = bytes;
        self
    }

    /// What to do with request bodies over the limit.
    pub fn oversize(mut self, oversize: Oversize) -> Self {
        Arc::make_mut(&mut self.options).oversize = oversize;
        self
    }

    /// The proxies whose `Forwarded` / `X-Forwarded-For` headers are believed.
    pub fn trusted_proxies(mut self, proxies: TrustedProxies) -> Self {
        Arc::make_mut(&mut self.options).trusted_proxies = proxies;
        self
    }

    /// The header that carries the request id (`x-request-id`).
    pub fn request_id_header(mut self, name: HeaderName) -> Self {
        Arc::make_mut(&mut self.options).request_id_header = name;
        self
    }

    /// Shares state with other nodes through Redis ([`Shared`]): the engine's rate limits
    /// are counted across nodes, and in [`Mode::Mirror`](waf_core::Mode::Mirror) every
    /// request's summary goes to the mirror stream. Bans are shared by [`Shared`] itself,
    /// whether or not a layer uses it.
    pub fn shared(mut self, shared: Shared) -> Self {
        Arc::make_mut(&mut self.options).shared = Some(shared);
        self
    }

    /// How challenge verdicts are answered: the proof-of-work page and its pass cookie
    /// (see [`challenge`](crate::challenge)). Unset, passes are signed with a key drawn
    /// when the layer is made.
    pub fn challenge(mut self, settings: ChallengeSettings) -> Self {
        Arc::make_mut(&mut self.options).challenger = Challenger::new(settings);
        self
    }

    /// Adds an observer: it sees every inspected request once its outcome is known
    /// (metrics, audit log, attack store, dashboard). See [`observe`](crate::observe).
    pub fn observe(mut self, observer: Arc<dyn Observer>) -> Self {
        Arc::make_mut(&mut self.options).observers.0.push(observer);
        self
    }

    /// The engine this layer uses (clones share state: reloads and bans apply).
    pub fn waf(&self) -> &Waf {
        &self.waf
    }
}

impl<S> Layer<S> for WafLayer {
    type Service = WafService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        WafService::new(inner, self.waf.clone(), self.options.clone())
    }
}
