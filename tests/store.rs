//! The attack store on SQLite and on a real MariaDB server: the same events, the same
//! queries, the same answers; and attacks sent through a real `WafLayer` over loopback
//! HTTP are found by a query.

mod support;

use axum::Router;
use axum::routing::get;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::store::observe;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use waf::store::{AttackStore, Query, parse_client};
use waf::{Waf, WafLayer};

/// The stores under test: SQLite always, MariaDB when installed. The guards keep the
/// temporary directory and the server alive.
fn backends() -> Vec<(&'static str, String, Box<dyn std::any::Any + Send>)> {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("events.db").display());
    let mut backends: Vec<(&'static str, String, Box<dyn std::any::Any + Send>)> =
        vec![("sqlite", url, Box::new(dir))];
    if let Some(server) = support::mariadb::MariaDb::start() {
        backends.push(("mariadb", server.url(), Box::new(server)));
    }
    backends
}

const SQLI: &str = "/search?q=1'%20OR%20'1'='1&password=hunter2";
const XSS: &str = "/search?q=%3Cscript%3Ealert(1)%3C/script%3E";

/// 2026-01-01T00:00:00Z.
fn base() -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(1_767_225_600)
}

#[test]
fn queries_find_the_same_events_on_every_backend() {
    for (backend, url, _guard) in backends() {
        let store = AttackStore::builder(&url)
            .redact_arg("password")
            .start()
            .unwrap_or_else(|e| panic!("{backend}: {e}"));
        let waf = Waf::default();
        let at = |seconds| base() + Duration::from_secs(seconds);
        let sqli = observe(&store, &waf, "e1", SQLI, "192.0.2.1", at(0)).unwrap();
        let xss = observe(&store, &waf, "e2", XSS, "192.0.2.77", at(60)).unwrap();
        observe(&store, &waf, "e3", SQLI, "198.51.100.5", at(120));
        observe(&store, &waf, "e4", XSS, "2001:db8::5", at(180));
        assert_eq!(
            observe(
                &store,
                &waf,
                "benign",
                "/search?q=shoes",
                "192.0.2.1",
                at(240)
            ),
            None
        );
        assert_ne!(sqli, xss);
        store.flush();
        assert_eq!(
            (store.stored(), store.dropped(), store.failed()),
            (4, 0, 0),
            "{backend}"
        );

        let client = |text| parse_client(text);
        // (query, expected request ids, newest first)
        let cases = [
            (Query::default(), vec!["e4", "e3", "e2", "e1"]),
            (
                Query {
                    since: Some(at(60)),
                    ..Query::default()
                },
                vec!["e4", "e3", "e2"],
            ),
            (
                Query {
                    until: Some(at(120)),
                    ..Query::default()
                },
                vec!["e2", "e1"],
            ),
            (
                Query {
                    since: Some(at(60)),
                    until: Some(at(180)),
                    ..Query::default()
                },
                vec!["e3", "e2"],
            ),
            (
                Query {
                    client: client("192.0.2.0/24"),
                    ..Query::default()
                },
                vec!["e2", "e1"],
            ),
            (
                Query {
                    client: client("192.0.2.1"),
                    ..Query::default()
                },
                vec!["e1"],
            ),
            (
                Query {
                    client: client("2001:db8::/32"),
                    ..Query::default()
                },
                vec!["e4"],
            ),
            (
                Query {
                    client: client("10.0.0.0/8"),
                    ..Query::default()
                },
                vec![],
            ),
            (
                Query {
                    rule: Some(sqli),
                    ..Query::default()
                },
                vec!["e3", "e1"],
            ),
            (
                Query {
                    rule: Some(xss),
                    client: client("192.0.2.0/24"),
                    ..Query::default()
                },
                vec!["e2"],
            ),
            (
                Query {
                    rule: Some(999_999),
                    ..Query::default()
                },
                vec![],
            ),
            (
                Query {
                    limit: 2,
                    ..Query::default()
                },
                vec!["e4", "e3"],
            ),
        ];
        for (query, expected) in cases {
            let events = store
                .query(&query)
                .unwrap_or_else(|e| panic!("{backend}: {e}"));
            let ids: Vec<&str> = events.iter().map(|e| e.request_id.as_str()).collect();
            assert_eq!(ids, expected, "{backend}: {query:?}");
        }

        let e1 = &store
            .query(&Query {
                client: client("192.0.2.1"),
                ..Query::default()
            })
            .unwrap()[0];
        assert_eq!(e1.time, at(0), "{backend}");
        assert_eq!(e1.client, "192.0.2.1".parse::<IpAddr>().unwrap());
        assert_eq!(e1.method, "GET");
        assert_eq!(
            e1.uri, "/search?q=1'%20OR%20'1'='1&password=[redacted]",
            "{backend}"
        );
        assert_eq!(e1.protocol, "HTTP/1.1");
        assert_eq!((e1.status, e1.action.as_str()), (403, "deny"));
        assert!(e1.score > 0.0 && e1.anomaly_score > 0, "{e1:?}");
        assert_eq!(e1.rules[0].rule_id, sqli);
        assert!(!e1.rules[0].message.is_empty() && !e1.rules[0].severity.is_empty());
        assert_eq!(e1.rules[0].variable, "ARGS:q");
        assert_eq!(e1.rules[0].data, "' OR '1'='1", "{backend}");
        drop(store);

        // A second opening finds the schema in place and the events kept.
        let reopened = AttackStore::open(&url).unwrap();
        assert_eq!(
            reopened.query(&Query::default()).unwrap().len(),
            4,
            "{backend}"
        );
    }
}

#[test]
fn a_full_queue_drops_and_counts() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("events.db").display());
    let store = AttackStore::builder(&url)
        .queue(1)
        .batch(1)
        .start()
        .unwrap();
    let waf = Waf::default();
    for n in 0..300 {
        observe(&store, &waf, &n.to_string(), SQLI, "192.0.2.1", base());
    }
    store.flush();
    assert_eq!(store.stored() + store.dropped(), 300);
    let query = Query {
        limit: 1000,
        ..Query::default()
    };
    assert_eq!(store.query(&query).unwrap().len() as u64, store.stored());
}

#[test]
fn bad_urls_are_errors_naming_them() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing").join("events.db");
    // (url, part of the message)
    let cases = [
        (
            format!("sqlite:{}", missing.display()),
            "cannot open SQLite database",
        ),
        ("redis://127.0.0.1/".to_owned(), "expected sqlite:PATH"),
        ("sqlite:".to_owned(), "expected sqlite:PATH"),
        (
            "mysql://root:secret@127.0.0.1:1/waf".to_owned(),
            "cannot open MySQL database 127.0.0.1:1/waf",
        ),
        ("mysql://root@127.0.0.1:1".to_owned(), "names no database"),
    ];
    for (url, message) in cases {
        let error = AttackStore::open(&url).unwrap_err().to_string();
        assert!(error.contains(message), "{url}: {error}");
        assert!(!error.contains("secret"), "{url}: {error}");
    }
}

/// Serves `layer` in front of a small app on a loopback port.
async fn serve(layer: WafLayer) -> SocketAddr {
    let app = Router::new()
        .route("/search", get(|| async { "results" }))
        .layer(layer);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// Sends `GET target` over a fresh connection and returns the status.
async fn get_status(addr: SocketAddr, target: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {target} HTTP/1.1\r\nHost: shop.test\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response[9..12].parse().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attacks_through_a_real_layer_are_found_by_a_query() {
    for (backend, url, _guard) in tokio::task::spawn_blocking(backends).await.unwrap() {
        let store = Arc::new(AttackStore::open(&url).unwrap());
        let addr = serve(WafLayer::new(Waf::default()).observe(store.clone())).await;
        // (target, status)
        let cases = [(SQLI, 403), ("/search?q=shoes", 200), (XSS, 403)];
        for (target, status) in cases {
            assert_eq!(
                get_status(addr, target).await,
                status,
                "{backend}: {target}"
            );
        }
        let found = tokio::task::spawn_blocking({
            let store = store.clone();
            move || {
                store.flush();
                store.query(&Query {
                    client: parse_client("127.0.0.1"),
                    ..Query::default()
                })
            }
        })
        .await
        .unwrap()
        .unwrap();
        let uris: Vec<&str> = found.iter().map(|e| e.uri.as_str()).collect();
        assert_eq!(uris, [XSS, SQLI], "{backend}");
        assert!(found.iter().all(|e| e.status == 403 && !e.rules.is_empty()));
        assert_eq!(found[0].request_id.len(), 16);
    }
}

#[test]
fn events_the_database_refuses_are_counted_as_failed() {
    let Some(server) = support::mariadb::MariaDb::start() else {
        return;
    };
    let store = AttackStore::open(&server.url()).unwrap();
    let waf = Waf::default();
    observe(&store, &waf, "kept", SQLI, "192.0.2.1", base());
    store.flush();
    assert_eq!((store.stored(), store.failed()), (1, 0));
    // The server goes away: the insert fails, and so does the one reconnection.
    drop(server);
    observe(&store, &waf, "lost", SQLI, "192.0.2.1", base());
    store.flush();
    assert_eq!((store.stored(), store.failed(), store.dropped()), (1, 1, 0));
}
