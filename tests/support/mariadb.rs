//! A real MariaDB server for the attack store tests: a fresh data directory in a
//! temporary directory, `mariadbd` on a free loopback port, killed when dropped.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `mariadbd` with an empty database `waf`, killed on drop.
pub struct MariaDb {
    port: u16,
    child: Child,
    // Removed after the server is killed (fields drop after `drop` runs).
    dir: tempfile::TempDir,
}

/// Whether `program` can be run at all.
fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

impl MariaDb {
    /// Starts one; `None` (with the reason printed) when MariaDB is not installed and
    /// `CI` is not `true`. Under `CI=true` a missing server fails the test: CI installs
    /// it.
    pub fn start() -> Option<Self> {
        if !installed("mariadbd") || !installed("mariadb-install-db") {
            let reason = "mariadbd is not installed (apt-get install mariadb-server)";
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{reason}");
            eprintln!("skipped: {reason}");
            return None;
        }
        let dir = tempfile::tempdir().expect("a temporary directory");
        let data = dir.path().join("data");
        // A temporary directory of its own: servers started side by side (tests run in
        // parallel) must not share their temporary tables' files.
        let tmp = dir.path().join("tmp");
        std::fs::create_dir(&tmp).expect("a temporary directory for mariadbd");
        let install = Command::new("mariadb-install-db")
            .env("TMPDIR", &tmp)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--user=root",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
            ])
            .output()
            .expect("mariadb-install-db runs");
        assert!(
            install.status.success(),
            "mariadb-install-db failed: {}",
            String::from_utf8_lossy(&install.stderr)
        );
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free loopback port")
            .port();
        let child = Command::new("mariadbd")
            .env("TMPDIR", &tmp)
            .arg("--no-defaults")
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg(format!("--datadir={}", data.display()))
            .arg(format!(
                "--socket={}",
                dir.path().join("mariadb.sock").display()
            ))
            .arg(format!(
                "--pid-file={}",
                dir.path().join("mariadb.pid").display()
            ))
            .arg(format!(
                "--log-error={}",
                dir.path().join("error.log").display()
            ))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--user=root",
                "--skip-grant-tables",
                "--skip-log-bin",
                "--innodb-buffer-pool-size=16M",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd starts");
        let mut server = Self { port, child, dir };
        server.wait_until_ready();
        Some(server)
    }

    fn wait_until_ready(&mut self) {
        let url = format!("mysql://root@127.0.0.1:{}", self.port);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(mut connection) = mysql::Conn::new(mysql::Opts::from_url(&url).unwrap()) {
                use mysql::prelude::Queryable;
                connection
                    .query_drop("CREATE DATABASE waf")
                    .expect("the database is created");
                return;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("mariadbd exited ({status}): {}", self.error_log());
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd did not answer on port {}: {}",
                self.port,
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// The attack store URL of the `waf` database.
    pub fn url(&self) -> String {
        format!("mysql://root@127.0.0.1:{}/waf", self.port)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
