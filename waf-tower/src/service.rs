use crate::body::{RequestBody, ResponseBody};
use crate::future::ResponseFuture;
use crate::layer::{Options, Oversize};
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
use tower_service::Service;
use waf_core::request::RequestView;
use waf_core::{Action, Waf};

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
    ResBody: Send + 'static,
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
{
    let (mut parts, body) = request.into_parts();
    let id_value = HeaderValue::from_str(&request_id).expect("hex is a valid header value");
    let own = |response: Response<http_body_util::Full<Bytes>>| {
        let mut response = response.map(ResponseBody::blocked);
        response
            .headers_mut()
            .insert(options.request_id_header.clone(), id_value.clone());
        Ok(response)
    };

    let declared = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if options.oversize == Oversize::Reject
        && declared.is_some_and(|n| n > options.body_limit as u64)
    {
        return own(response::error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is larger than this server accepts.",
            &request_id,
        ));
    }
    let (inspected, forwarded) = match buffer(body, options.body_limit).await {
        Ok(Buffered::Complete { data, trailers }) => {
            (data.clone(), RequestBody::buffered(data, trailers))
        }
        Ok(Buffered::Over { .. }) if options.oversize == Oversize::Reject => {
            return own(response::error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The request body is larger than this server accepts.",
                &request_id,
            ));
        }
        Ok(Buffered::Over { read, rest }) => (
            read.slice(..options.body_limit.min(read.len())),
            RequestBody::prefixed(read, rest),
        ),
        Err(error) => {
            tracing::debug!(target: "waf", request_id, %error, "request body could not be read");
            return own(response::error(
                StatusCode::BAD_REQUEST,
                "The request body could not be read.",
                &request_id,
            ));
        }
    };

    let peer = client_addr::peer(&parts.extensions);
    let client = options.trusted_proxies.client(peer, &parts.headers);
    let view = RequestView::from_parts(&parts, inspected, client, &waf.limits());
    let verdict = waf.inspect(&view);
    log::decision(&verdict, &request_id, client, &view.method, &view.path);

    match verdict.action {
        Action::Allow | Action::Log => {
            parts
                .headers
                .insert(options.request_id_header.clone(), id_value.clone());
            parts.extensions.insert(Arc::new(verdict));
            let mut response = inner
                .call(Request::from_parts(parts, forwarded))
                .await?
                .map(ResponseBody::inner);
            response
                .headers_mut()
                .insert(options.request_id_header.clone(), id_value);
            Ok(response)
        }
        action => own(response::blocked(action, &request_id)),
    }
}

enum Buffered<B> {
    /// The body ended within the limit.
    Complete {
        data: Bytes,
        trailers: Option<HeaderMap>,
    },
    /// The body went over the limit: what was read so far, and the rest.
    Over { read: Bytes, rest: Pin<Box<B>> },
}

/// Reads `body` until it ends or more than `limit` bytes have arrived.
async fn buffer<B>(body: B, limit: usize) -> Result<Buffered<B>, BoxError>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    let mut body = Box::pin(body);
    let mut data = BytesMut::new();
    let mut trailers = None;
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(Into::into)?;
        match frame.into_data() {
            Ok(chunk) => {
                data.extend_from_slice(&chunk);
                if data.len() > limit {
                    return Ok(Buffered::Over {
                        read: data.freeze(),
                        rest: body,
                    });
                }
            }
            Err(frame) => {
                if let Ok(t) = frame.into_trailers() {
                    trailers.get_or_insert_with(HeaderMap::new).extend(t);
                }
            }
        }
    }
    Ok(Buffered::Complete {
        data: data.freeze(),
        trailers,
    })
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
