//! The bodies the middleware hands on: the buffered request body to the inner service,
//! and the inner response (as it came, buffered, or prefix and rest) or a block page to
//! the client.

use bytes::Bytes;
use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use http_body_util::Full;
use pin_project_lite::pin_project;
use std::pin::Pin;
use std::task::{Context, Poll};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The request body the inner service receives: the same bytes the client sent.
///
/// Either the whole body, buffered for inspection, or (for an oversize body with
/// [`Oversize::InspectPrefix`](crate::Oversize::InspectPrefix)) the inspected prefix
/// followed by the rest, still streaming.
#[derive(Debug)]
pub struct RequestBody<B> {
    kind: Kind<B>,
}

#[derive(Debug)]
enum Kind<B> {
    Buffered {
        data: Option<Bytes>,
        trailers: Option<HeaderMap>,
    },
    Prefixed {
        prefix: Option<Bytes>,
        rest: Pin<Box<B>>,
    },
}

impl<B> RequestBody<B> {
    pub(crate) fn buffered(data: Bytes, trailers: Option<HeaderMap>) -> Self {
        let data = (!data.is_empty()).then_some(data);
        Self {
            kind: Kind::Buffered { data, trailers },
        }
    }

    pub(crate) fn prefixed(prefix: Bytes, rest: Pin<Box<B>>) -> Self {
        Self {
            kind: Kind::Prefixed {
                prefix: Some(prefix),
                rest,
            },
        }
    }
}

impl<B> Body for RequestBody<B>
where
    B: Body<Data = Bytes>,
    B::Error: Into<BoxError>,
{
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
        match &mut self.get_mut().kind {
            Kind::Buffered { data, trailers } => Poll::Ready(
                data.take()
                    .map(Frame::data)
                    .or_else(|| trailers.take().map(Frame::trailers))
                    .map(Ok),
            ),
            Kind::Prefixed { prefix, rest } => match prefix.take() {
                Some(prefix) => Poll::Ready(Some(Ok(Frame::data(prefix)))),
                None => rest
                    .as_mut()
                    .poll_frame(cx)
                    .map(|frame| frame.map(|f| f.map_err(Into::into))),
            },
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            Kind::Buffered { data, trailers } => data.is_none() && trailers.is_none(),
            Kind::Prefixed { prefix, rest } => prefix.is_none() && rest.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            Kind::Buffered { data, .. } => {
                SizeHint::with_exact(data.as_ref().map_or(0, |d| d.len() as u64))
            }
            Kind::Prefixed { prefix, rest } => prefix_hint(prefix.as_ref(), rest.size_hint()),
        }
    }
}

pin_project! {
    /// The response body the client receives: the inner service's, or the
    /// middleware's own page when it blocked the request or the response.
    ///
    /// An inner body that was inspected (phase 4) was buffered first; it is handed on
    /// with the same bytes, trailers and, if reading it failed, the same error. A body
    /// longer than the response limit is handed on as the inspected prefix followed by
    /// the rest, still streaming. Bodies the rules do not read are never buffered.
    pub struct ResponseBody<B>
    where
        B: Body,
    {
        #[pin]
        kind: ResponseKind<B>,
    }
}

pin_project! {
    #[project = ResponseKindProj]
    enum ResponseKind<B>
    where
        B: Body,
    {
        Inner { #[pin] body: B },
        Buffered {
            data: Option<Bytes>,
            trailers: Option<HeaderMap>,
            // The inner body failed after `data`: the client sees the same failure.
            error: Option<B::Error>,
        },
        Prefixed { prefix: Option<Bytes>, rest: Pin<Box<B>> },
        Blocked { body: Full<Bytes> },
    }
}

impl<B: Body> std::fmt::Debug for ResponseBody<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bodies themselves need not be `Debug`; which kind it is says enough.
        let kind = match &self.kind {
            ResponseKind::Inner { .. } => "Inner",
            ResponseKind::Buffered { .. } => "Buffered",
            ResponseKind::Prefixed { .. } => "Prefixed",
            ResponseKind::Blocked { .. } => "Blocked",
        };
        f.debug_struct("ResponseBody").field("kind", &kind).finish()
    }
}

impl<B: Body> ResponseBody<B> {
    pub(crate) fn inner(body: B) -> Self {
        Self {
            kind: ResponseKind::Inner { body },
        }
    }

    pub(crate) fn buffered(
        data: Bytes,
        trailers: Option<HeaderMap>,
        error: Option<B::Error>,
    ) -> Self {
        let data = (!data.is_empty()).then_some(data);
        Self {
            kind: ResponseKind::Buffered {
                data,
                trailers,
                error,
            },
        }
    }

    pub(crate) fn prefixed(prefix: Bytes, rest: Pin<Box<B>>) -> Self {
        Self {
            kind: ResponseKind::Prefixed {
                prefix: Some(prefix),
                rest,
            },
        }
    }

    pub(crate) fn blocked(body: Full<Bytes>) -> Self {
        Self {
            kind: ResponseKind::Blocked { body },
        }
    }
}

impl<B> Body for ResponseBody<B>
where
    B: Body<Data = Bytes>,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, B::Error>>> {
        match self.project().kind.project() {
            ResponseKindProj::Inner { body } => body.poll_frame(cx),
            ResponseKindProj::Buffered {
                data,
                trailers,
                error,
            } => Poll::Ready(
                data.take()
                    .map(|d| Ok(Frame::data(d)))
                    .or_else(|| error.take().map(Err))
                    .or_else(|| trailers.take().map(|t| Ok(Frame::trailers(t)))),
            ),
            ResponseKindProj::Prefixed { prefix, rest } => match prefix.take() {
                Some(prefix) => Poll::Ready(Some(Ok(Frame::data(prefix)))),
                None => rest.as_mut().poll_frame(cx),
            },
            ResponseKindProj::Blocked { body } => Pin::new(body)
                .poll_frame(cx)
                .map(|frame| frame.map(|f| f.map_err(|never| match never {}))),
        }
    }

    fn is_end_stream(&self) -> bool {
        match &self.kind {
            ResponseKind::Inner { body } => body.is_end_stream(),
            ResponseKind::Buffered {
                data,
                trailers,
                error,
            } => data.is_none() && trailers.is_none() && error.is_none(),
            ResponseKind::Prefixed { prefix, rest } => prefix.is_none() && rest.is_end_stream(),
            ResponseKind::Blocked { body } => body.is_end_stream(),
        }
    }

    fn size_hint(&self) -> SizeHint {
        match &self.kind {
            ResponseKind::Inner { body } => body.size_hint(),
            ResponseKind::Buffered { data, error, .. } => {
                let len = data.as_ref().map_or(0, |d| d.len() as u64);
                // A body that ends in an error has no exact length to announce.
                if error.is_some() {
                    let mut hint = SizeHint::new();
                    hint.set_lower(len);
                    hint
                } else {
                    SizeHint::with_exact(len)
                }
            }
            ResponseKind::Prefixed { prefix, rest } => {
                prefix_hint(prefix.as_ref(), rest.size_hint())
            }
            ResponseKind::Blocked { body } => body.size_hint(),
        }
    }
}

/// The size of `prefix` followed by a body of size `rest`.
fn prefix_hint(prefix: Option<&Bytes>, rest: SizeHint) -> SizeHint {
    let extra = prefix.map_or(0, |p| p.len() as u64);
    let mut hint = SizeHint::new();
    hint.set_lower(rest.lower() + extra);
    if let Some(upper) = rest.upper() {
        hint.set_upper(upper + extra);
    }
    hint
}
