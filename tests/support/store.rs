//! Filling an attack store the way the middleware does: a request inspected by a real
//! engine, shown to the store as a transaction.

use std::time::{Duration, SystemTime};
use waf::core::request::{RawRequest, RequestView};
use waf::store::AttackStore;
use waf::tower::observe::{Observer, Transaction};
use waf::{Mode, Waf};

/// Shows `store` a request to `uri` from `client` at `time`, inspected by `waf`, and
/// returns the id of the first rule it matched (if any).
pub fn observe(
    store: &AttackStore,
    waf: &Waf,
    id: &str,
    uri: &str,
    client: &str,
    time: SystemTime,
) -> Option<u32> {
    let request = RequestView::from_raw(
        RawRequest {
            method: "GET",
            uri,
            protocol: "HTTP/1.1",
            headers: vec![],
            body: Default::default(),
            client: client.parse().unwrap(),
        },
        &waf.limits(),
    );
    let verdict = waf.inspect(&request);
    store.observe(&Transaction {
        request_id: id,
        time,
        client: request.client,
        request: &request,
        request_verdict: &verdict,
        response_verdict: None,
        status: verdict.action.status().unwrap_or(200),
        inspection: Duration::ZERO,
        mode: Mode::Block,
    });
    verdict.matches.first().map(|m| m.rule_id)
}
