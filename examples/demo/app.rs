//! The demo's web application: a small user directory with two holes left in ON PURPOSE,
//! a reflected XSS in `/search` and a SQL injection in `/api/user`.
//!
//! The holes are deliberate. The point of the demo is that [`WafLayer`] in front of the
//! router stops the requests that would exploit them, and that the same requests succeed
//! without it. Never copy these handlers into real code: escape what you reflect and
//! bind query parameters, as `/login` does.
//!
//! `examples/demo/main.rs` serves this app; `tests/demo_e2e.rs` attacks it over real
//! sockets, with and without the layer.

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::Html;
use axum::routing::get;
use axum::{Json, Router};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::sync::{Arc, Mutex, PoisonError};
use waf::{Waf, WafLayer};

/// The database: one SQLite connection. Each query locks it on a blocking thread and
/// releases it before the handler resumes, so the lock is never held across an `.await`.
pub type Db = Arc<Mutex<Connection>>;

/// A seeded account. The password is kept in clear here only so that the demo can
/// print working credentials; the table stores a digest of it.
pub struct Account {
    /// The login name.
    pub name: &'static str,
    /// The e-mail address `/api/user` returns.
    pub email: &'static str,
    /// The password `/login` accepts.
    pub password: &'static str,
}

/// The rows of the `users` table, with ids 1, 2, … in this order.
pub const ACCOUNTS: [Account; 5] = [
    Account {
        name: "alice",
        email: "alice@example.com",
        password: "wonderland",
    },
    Account {
        name: "bob",
        email: "bob@example.com",
        password: "builder",
    },
    Account {
        name: "carol",
        email: "carol@example.com",
        password: "carols-4-xmas",
    },
    Account {
        name: "dave",
        email: "dave@example.com",
        password: "open-the-pod-bay-doors",
    },
    Account {
        name: "eve",
        email: "eve@example.com",
        password: "not-an-eavesdropper",
    },
];

/// An in-memory SQLite database with the `users` table filled from [`ACCOUNTS`].
pub fn open_db() -> rusqlite::Result<Db> {
    let conn = Connection::open_in_memory()?;
    conn.execute_batch(
        "CREATE TABLE users (
             id INTEGER PRIMARY KEY,
             name TEXT NOT NULL UNIQUE,
             email TEXT NOT NULL,
             password TEXT NOT NULL
         )",
    )?;
    for account in &ACCOUNTS {
        conn.execute(
            "INSERT INTO users (name, email, password) VALUES (?1, ?2, ?3)",
            params![
                account.name,
                account.email,
                digest(account.name, account.password)
            ],
        )?;
    }
    Ok(Arc::new(Mutex::new(conn)))
}

/// The demo app on `db`, behind a [`WafLayer`] running `waf` if there is one.
pub fn router(db: Db, waf: Option<Waf>) -> Router {
    let app = Router::new()
        .route("/", get(index))
        .route("/login", get(login_form).post(login))
        .route("/search", get(search))
        .route("/api/user", get(user))
        .with_state(db);
    match waf {
        Some(waf) => app.layer(WafLayer::new(waf)),
        None => app,
    }
}

/// A handler's failure: the status and the error text, shown as is (it is a demo).
type Failure = (StatusCode, String);

/// Runs `query` against the database on a blocking thread.
async fn with_db<T: Send + 'static>(
    db: Db,
    query: impl FnOnce(&Connection) -> rusqlite::Result<T> + Send + 'static,
) -> Result<T, Failure> {
    let internal = |e: &dyn std::fmt::Display| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    // A query that panicked leaves the connection itself usable, so a poisoned lock
    // is taken over rather than failing every later request.
    tokio::task::spawn_blocking(move || query(&db.lock().unwrap_or_else(PoisonError::into_inner)))
        .await
        .map_err(|e| internal(&e))?
        .map_err(|e| internal(&e))
}

async fn index() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<title>WAF demo</title>
<h1>WAF demo: a deliberately vulnerable app</h1>
<ul>
  <li><a href="/login">Log in</a> (parameterised query: safe)</li>
  <li><a href="/search?q=running+shoes">Search</a> (reflects the query unescaped: XSS)</li>
  <li><a href="/api/user?id=1">User 1 as JSON</a> (SQL built by concatenation: SQL injection)</li>
</ul>
<h2>Attacks</h2>
<ul>
  <li><a href="/search?q=%3Cscript%3Ealert(1)%3C/script%3E">Reflected XSS</a></li>
  <li><a href="/api/user?id=1%27%20OR%20%271%27%3D%271">SQL injection: every user</a></li>
</ul>
"#,
    )
}

async fn login_form() -> Html<&'static str> {
    Html(
        r#"<!doctype html>
<title>Log in</title>
<h1>Log in</h1>
<form method="post" action="/login">
  <label>User <input name="user"></label>
  <label>Password <input name="password" type="password"></label>
  <button>Log in</button>
</form>
"#,
    )
}

#[derive(Deserialize)]
struct Credentials {
    user: String,
    password: String,
}

/// Checks the credentials with a parameterised query: the safe way, for contrast.
async fn login(
    State(db): State<Db>,
    Form(credentials): Form<Credentials>,
) -> Result<(StatusCode, Html<String>), Failure> {
    let hash = digest(&credentials.user, &credentials.password);
    let name = with_db(db, move |conn| {
        conn.query_row(
            "SELECT name FROM users WHERE name = ?1 AND password = ?2",
            params![credentials.user, hash],
            |row| row.get::<_, String>(0),
        )
        .optional()
    })
    .await?;
    // The name shown comes from the table, not from the request.
    Ok(match name {
        Some(name) => (
            StatusCode::OK,
            Html(format!("<h1>Welcome back, {name}</h1>")),
        ),
        None => (
            StatusCode::UNAUTHORIZED,
            Html("<h1>Invalid user name or password</h1>".to_owned()),
        ),
    })
}

#[derive(Deserialize)]
struct SearchQuery {
    #[serde(default)]
    q: String,
}

async fn search(Query(SearchQuery { q }): Query<SearchQuery>) -> Html<String> {
    // DELIBERATE XSS HOLE: `q` is written into the page without HTML escaping, so
    // `?q=<script>…</script>` runs in the visitor's browser. The WAF is what stands in
    // front of it.
    Html(format!(
        "<!doctype html>\n<title>Search</title>\n<h1>Search</h1>\n<p>Results for {q}: no products found.</p>\n"
    ))
}

#[derive(Deserialize)]
struct UserQuery {
    id: String,
}

/// The rows the query returns, as JSON objects keyed by column name.
async fn user(
    State(db): State<Db>,
    Query(UserQuery { id }): Query<UserQuery>,
) -> Result<Json<Vec<Value>>, Failure> {
    // DELIBERATE SQL INJECTION HOLE: `id` is pasted into the SQL text, so
    // `?id=1' OR '1'='1` returns every row (and a UNION can read other columns). The
    // WAF is what stands in front of it; `/login` shows the safe, parameterised way.
    let sql = format!("SELECT id, name, email FROM users WHERE id = '{id}'");
    let rows = with_db(db, move |conn| {
        let mut statement = conn.prepare(&sql)?;
        let columns: Vec<String> = statement
            .column_names()
            .into_iter()
            .map(String::from)
            .collect();
        // Values are converted by their runtime type, so injected UNIONs come back as they are.
        let rows = statement.query_map([], |row| {
            let object = columns
                .iter()
                .enumerate()
                .map(|(i, column)| Ok((column.clone(), json_value(row.get_ref(i)?))))
                .collect::<rusqlite::Result<Map<String, Value>>>()?;
            Ok(Value::Object(object))
        })?;
        rows.collect::<rusqlite::Result<Vec<Value>>>()
    })
    .await?;
    Ok(Json(rows))
}

fn json_value(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => i.into(),
        ValueRef::Real(f) => f.into(),
        ValueRef::Text(bytes) | ValueRef::Blob(bytes) => String::from_utf8_lossy(bytes).into(),
    }
}

/// A stand-in for a password hash (FNV-1a over user and password), so that the table
/// holds hash-looking strings without another dependency. It is NOT a password hash:
/// real code uses argon2, scrypt or bcrypt.
fn digest(user: &str, password: &str) -> String {
    let hash = [user.as_bytes(), b":", password.as_bytes()]
        .concat()
        .iter()
        .fold(0xcbf2_9ce4_8422_2325_u64, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
        });
    format!("fnv1a${hash:016x}")
}
