//! What each request goes through: the WAF (unless turned off), then the upstream.
//! Replaced as a whole on reload; a request keeps the pipeline it started with.

use super::config::{ProxyConfig, Rules};
use super::forward::{BoxError, Forward, ProxyBody};
use super::observers::Observers;
use arc_swap::ArcSwap;
use bytes::Bytes;
use http::{Request, Response};
use http_body_util::BodyExt;
use std::sync::Arc;
use tower::{Layer, Service};
use waf_core::Waf;
use waf_tower::challenge::ChallengeSettings;
use waf_tower::shared::Shared;
use waf_tower::{Oversize, TrustedProxies, WafLayer, WafService};

/// One generation of the request path.
#[derive(Debug, Clone)]
struct Pipeline {
    /// The upstream client.
    forward: Forward,
    /// The engine in front of it; `None` with `rules.source = "off"`.
    inspected: Option<WafService<Forward>>,
}

/// The current pipeline, swapped atomically.
#[derive(Debug)]
pub struct Handler {
    current: ArcSwap<Pipeline>,
}

impl Handler {
    /// The pipeline `config` describes, with `forward` as its upstream.
    pub fn new(
        config: &ProxyConfig,
        waf: &Waf,
        forward: Forward,
        shared: Option<&Shared>,
        observers: &Observers,
        challenge: &ChallengeSettings,
    ) -> Self {
        Self {
            current: ArcSwap::from_pointee(build(
                config, waf, forward, shared, observers, challenge,
            )),
        }
    }

    /// Replaces the pipeline; requests in flight finish on the old one.
    pub fn replace(
        &self,
        config: &ProxyConfig,
        waf: &Waf,
        forward: Forward,
        shared: Option<&Shared>,
        observers: &Observers,
        challenge: &ChallengeSettings,
    ) {
        self.current.store(Arc::new(build(
            config, waf, forward, shared, observers, challenge,
        )));
    }

    /// The upstream client in use, to keep its connection pool across reloads.
    pub fn forward(&self) -> Forward {
        self.current.load().forward.clone()
    }

    /// Runs `request` through the current pipeline.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<ProxyBody>
    where
        B: hyper::body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let pipeline = Pipeline::clone(&self.current.load());
        match pipeline.inspected {
            None => pipeline.forward.send(request).await,
            // `Forward` is always ready, so the WAF service is too.
            Some(mut service) => match service.call(request).await {
                Ok(response) => response.map(|body| body.map_err(BoxError::from).boxed_unsync()),
                Err(never) => match never {},
            },
        }
    }
}

fn build(
    config: &ProxyConfig,
    waf: &Waf,
    forward: Forward,
    shared: Option<&Shared>,
    observers: &Observers,
    challenge: &ChallengeSettings,
) -> Pipeline {
    if config.rules == Rules::Off {
        return Pipeline {
            forward,
            inspected: None,
        };
    }
    let mut layer = WafLayer::new(waf.clone())
        .body_limit(config.body.request_limit)
        .response_body_limit(config.body.response_limit)
        .oversize(if config.body.inspect_prefix {
            Oversize::InspectPrefix
        } else {
            Oversize::Reject
        })
        .trusted_proxies(TrustedProxies::new(config.trusted_proxies.iter().copied()))
        .challenge(challenge.clone());
    if let Some(shared) = shared {
        layer = layer.shared(shared.clone());
    }
    for observer in &observers.0 {
        layer = layer.observe(observer.clone());
    }
    Pipeline {
        inspected: Some(layer.layer(forward.clone())),
        forward,
    }
}
