use crate::client_addr::TrustedProxies;
use crate::service::WafService;
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
    pub oversize: Oversize,
    pub trusted_proxies: TrustedProxies,
    pub request_id_header: HeaderName,
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
    /// A layer with `waf` and the default settings: 1 MiB body limit, oversize bodies
    /// refused, no trusted proxies, `x-request-id`.
    pub fn new(waf: Waf) -> Self {
        Self {
            waf,
            options: Arc::new(Options {
                body_limit: 1024 * 1024,
                oversize: Oversize::Reject,
                trusted_proxies: TrustedProxies::default(),
                request_id_header: HeaderName::from_static("x-request-id"),
            }),
        }
    }

    /// How many body bytes to buffer for inspection.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        Arc::make_mut(&mut self.options).body_limit = bytes;
        self
    }

    /// What to do with bodies over the limit.
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
