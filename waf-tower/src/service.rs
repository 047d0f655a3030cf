use crate::body::{RequestBody, ResponseBody};
use crate::future::ResponseFuture;
use crate::layer::{Options, Oversize};
use crate::observe::Transaction;
use crate::{client_addr, log, response};
use bytes::{Bytes, BytesMut};
use http::{HeaderMap, HeaderValue, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::BodyExt;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime};
use tower_service::Service;
use waf_core::request::RequestView;
use waf_core::response::ResponseView;
use waf_core::{Action, Mode, Waf};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Inspects each request with the engine before the inner service sees it.
///
/// Made by [`WafLayer`](crate::WafLayer); see the [crate docs](crate).
#[derive(Debug, Clone)]
pub struct WafService<S> {
    inner: S,
    waf: Waf,
    options: Arc<Options>,
    ids: Arc<RequestIds>,
}

impl<S> WafService<S> {
    pub(crate) fn new(inner: S, waf: Waf, options: Arc<Options>) -> Self {
        Self {
            inner,
            waf,
            options,
            ids: Arc::new(RequestIds::default()),
        }
    }
}

impl<S, B, ResBody> Service<Request<B>> for WafService<S>
where
    S: Service<Request<RequestBody<B>>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send,
    B: Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes> + Send + 'static,
{
    type Response = Response<ResponseBody<ResBody>>;
    type Error = S::Error;
    type Future = ResponseFuture<Self::Response, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        // The ready service goes into the future; a fresh clone stays for the next call.
        let clone = self.inner.clone();
        let inner = std::mem::replace(&mut self.inner, clone);
        let waf = self.waf.clone();
        let options = self.options.clone();
        let request_id = self.ids.next();
        ResponseFuture::new(handle(inner, waf, options, request_id, request))
    }
}

async fn handle<S, B, ResBody>(
    mut inner: S,
    waf: Waf,
    options: Arc<Options>,
    request_id: String,
    request: Request<B>,
) -> Result<Response<ResponseBody<ResBody>>, S::Error>
where
    S: Service<Request<RequestBody<B>>, Response = Response<ResBody>>,
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
    ResBody: Body<Data = Bytes>,
{
    let arrived = SystemTime::now();
    let (mut parts, body) = request.into_parts();
    let answer = response::Answer::for_request(&parts.headers);
    let id_value = HeaderValue::from_str(&request_id).expect("hex is a valid header value");
    let own = |response: Response<http_body_util::Full<Bytes>>| {
        let mut response = response.map(ResponseBody::blocked);
        response
            .headers_mut()
            .insert(options.request_id_header.clone(), id_value.clone());
        response
    };

    let peer = client_addr::peer(&parts.extensions);
    let client = options.trusted_proxies.client(peer, &parts.headers);
    if parts.method == http::Method::POST && parts.uri.path() == options.challenger.path() {
        // A challenge page posting its solution: answered here, never passed on.
        let form = match buffer(body, MAX_SOLUTION).await {
            Buffered::Complete { data, .. } => data,
            _ => Bytes::new(),
        };
        return Ok(own(options.challenger.answer_solution(
            &form,
            client,
            SystemTime::now(),
        )));
    }

    let stop = |action: Action| match (action, answer) {
        (Action::Challenge, response::Answer::Page) => {
            options
                .challenger
                .page(client, SystemTime::now(), &request_id)
        }
        (action, answer) => answer.blocked(action, &request_id),
    };

    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if options.oversize == Oversize::Reject
        && declared.is_some_and(|n| n > options.body_limit as u64)
    {
        return Ok(own(answer.error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than this server accepts.",
            &request_id,
        )));
    }
    let (inspected, forwarded) = match buffer(body, options.body_limit).await {
        Buffered::Complete { data, trailers } => {
            (data.clone(), RequestBody::buffered(data, trailers))
        }
        Buffered::Over { .. } if options.oversize == Oversize::Reject => {
            return Ok(own(answer.error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is larger than this server accepts.",
                &request_id,
            )));
        }
        Buffered::Over { read, rest } => (
            read.slice(..options.body_limit.min(read.len())),
            RequestBody::prefixed(read, rest),
        ),
        Buffered::Failed { error, .. } => {
            let error: BoxError = error.into();
            tracing::debug!(target: "waf", request_id, %error, "request body could not be read");
            return Ok(own(answer.error(
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
                &request_id,
            )));
        }
    };

    let started = Instant::now();
    let view = RequestView::from_parts(&parts, inspected, client, &waf.limits());
    // The exchange keeps the transaction (TX variables, matches) for the response phases.
    let mut exchange = match &options.shared {
        Some(shared) => {
            let limited = shared.check_rate_limits(&view).await;
            let exchange = waf.begin_counted(view, limited);
            if waf.with_config(|config| config.mode == Mode::Mirror) {
                shared.mirror(&request_id, exchange.request());
            }
            exchange
        }
        None => waf.begin(view),
    };
    // A client that solved a challenge before goes on where it would be challenged
    // (request or response phase), logged.
    let holds_pass = options
        .challenger
        .has_pass(&parts.headers, client, SystemTime::now());
    let mut verdict = exchange.request_verdict().clone();
    if holds_pass && verdict.action == Action::Challenge {
        verdict.action = Action::Log;
    }
    let verdict = Arc::new(verdict);
    let mut inspection = started.elapsed();
    let mode = waf.with_config(|config| config.mode);
    let observed = |request: &RequestView,
                    response_verdict: Option<&waf_core::Verdict>,
                    status: u16,
                    inspection: Duration| {
        let transaction = Transaction {
            request_id: &request_id,
            time: arrived,
            client,
            request,
            request_verdict: &verdict,
            response_verdict,
            status,
            inspection,
            mode,
        };
        for observer in &options.observers.0 {
            observer.observe(&transaction);
        }
    };
    let request = exchange.request();
    log::decision(
        &verdict,
        &request_id,
        client,
        &request.method,
        &request.path,
    );

    if let action @ (Action::Deny { .. } | Action::Challenge | Action::RateLimit { .. }) =
        verdict.action
    {
        // No response of the inner service: the logging phase sees none.
        let response = own(stop(action));
        observed(
            exchange.request(),
            None,
            response.status().as_u16(),
            inspection,
        );
        log::logging_phase(&exchange.finish(None), &request_id);
        return Ok(response);
    }

    parts
        .headers
        .insert(options.request_id_header.clone(), id_value.clone());
    parts.extensions.insert(Arc::clone(&verdict));
    let (mut head, body) = inner
        .call(Request::from_parts(parts, forwarded))
        .await?
        .into_parts();

    // Phase 4 reads the body only for the media types the rules name; every other body
    // streams through untouched, without being buffered.
    let content_type = head
        .headers
        .get(http::header::CONTENT_TYPE)
        .map_or(&b""[..], |v| v.as_bytes());
    let (inspected, body) = if exchange.inspects_response_body(content_type) {
        let limit = exchange
            .response_body_limit()
            .map_or(options.response_body_limit, |rules| {
                options
                    .response_body_limit
                    .min(usize::try_from(rules).unwrap_or(usize::MAX))
            });
        match buffer(body, limit).await {
            Buffered::Complete { data, trailers } => {
                (data.clone(), ResponseBody::buffered(data, trailers, None))
            }
            // Over the limit: the first `limit` bytes are inspected, then everything
            // read and the rest go to the client (ModSecurity's ProcessPartial).
            Buffered::Over { read, rest } => (
                read.slice(..limit.min(read.len())),
                ResponseBody::prefixed(read, rest),
            ),
            // What arrived before the failure is inspected; the client gets it and then
            // the same failure, as without the middleware.
            Buffered::Failed { read, error } => {
                tracing::debug!(target: "waf", request_id, "response body failed while buffered");
                (
                    read.clone(),
                    ResponseBody::buffered(read, None, Some(error)),
                )
            }
        }
    } else {
        (Bytes::new(), ResponseBody::inner(body))
    };

    let started = Instant::now();
    let response_view = ResponseView::from_parts(&head, inspected);
    let mut response_verdict = exchange.inspect_response(&response_view);
    if holds_pass && response_verdict.action == Action::Challenge {
        response_verdict.action = Action::Log;
    }
    inspection += started.elapsed();
    let request = exchange.request();
    log::response_decision(
        &response_verdict,
        &request_id,
        client,
        &request.method,
        &request.path,
        response_view.status,
    );
    let action = response_verdict.action;

    let mut response = match action {
        Action::Allow | Action::Log => {
            head.headers
                .insert(options.request_id_header.clone(), id_value);
            Response::from_parts(head, body)
        }
        // The inner response (and its body, unread or buffered) is dropped: nothing of
        // it reaches the client.
        action => own(stop(action)),
    };
    observed(
        exchange.request(),
        Some(&response_verdict),
        response.status().as_u16(),
        inspection,
    );
    log::logging_phase(&exchange.finish(Some(&response_view)), &request_id);
    response.extensions_mut().insert(Arc::new(response_verdict));
    Ok(response)
}

/// The most a challenge solution may take: three short fields.
const MAX_SOLUTION: usize = 1024;

/// A body read by [`buffer`].
enum Buffered<B: Body> {
    /// The body ended within the limit.
    Complete {
        data: Bytes,
        trailers: Option<HeaderMap>,
    },
    /// The body went over the limit: what was read so far, and the rest.
    Over { read: Bytes, rest: Pin<Box<B>> },
    /// Reading failed after `read`.
    Failed { read: Bytes, error: B::Error },
}

/// Reads `body` until it ends, fails, or more than `limit` bytes have arrived.
async fn buffer<B>(body: B, limit: usize) -> Buffered<B>
where
    B: Body<Data = Bytes>,
{
    let mut body = Box::pin(body);
    let mut data = BytesMut::new();
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let frame = match frame {
            Ok(frame) => frame,
            Err(error) => {
                return Buffered::Failed {
                    read: data.freeze(),
                    error,
                };
            }
        };
        match frame.into_data() {
            Ok(chunk) => {
                data.extend_from_slice(&chunk);
                if data.len() > limit {
                    return Buffered::Over {
                        read: data.freeze(),
                        rest: body,
                    };
                }
            }
            Err(frame) => {
                if let Ok(t) = frame.into_trailers() {
                    trailers.get_or_insert_with(HeaderMap::new).extend(t);
                }
            }
        }
    }
    Buffered::Complete {
        data: data.freeze(),
        trailers,
    }
}

/// Request ids: unpredictable 64-bit hex strings, unique within a service.
#[derive(Debug, Default)]
struct RequestIds {
    keys: RandomState,
    counter: AtomicU64,
}

impl RequestIds {
    fn next(&self) -> String {
        // A keyed hash of a counter: distinct for distinct counters with overwhelming
        // probability, and not guessable from earlier ids.
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        format!("{:016x}", self.keys.hash_one(n))
    }
}
