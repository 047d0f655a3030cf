//! `waf ban`, `waf unban` and `waf bans`: the shared ban set in Redis, edited and read
//! the way a node does it (`waf_tower::shared`), so every node hears of a change at once.

use super::{Failure, duration};
use clap::Args;
use ipnet::IpNet;
use std::io::Write;
use std::net::IpAddr;
use std::time::Duration;
use waf_core::Waf;
use waf_tower::shared::{Shared, SharedSettings};

/// Where the shared state is.
#[derive(Debug, Args)]
pub struct RedisArgs {
    /// Redis URL of the shared state [default: $WAF_REDIS_URL, else redis://127.0.0.1:6379/].
    #[arg(long, value_name = "URL")]
    redis: Option<String>,

    /// Key prefix of the deployment, as in the nodes' `shared.prefix`.
    #[arg(long, value_name = "PREFIX", default_value = "waf")]
    prefix: String,

    /// How long to wait for Redis, e.g. 5s.
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = duration::parse)]
    timeout: Duration,
}

/// Ban an address or range on every node sharing the Redis state.
#[derive(Debug, Args)]
pub struct BanArgs {
    /// The address (203.0.113.9) or range (203.0.113.0/24, 2001:db8::/48) to ban.
    #[arg(value_name = "ADDRESS|CIDR", value_parser = parse_target)]
    target: IpNet,

    /// How long the ban lasts, e.g. 90s, 10m, 2h, 7d [default: until unbanned].
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    ttl: Option<Duration>,

    /// Why, in words; nodes log it and `waf bans` shows it.
    #[arg(long, value_name = "TEXT", default_value = "banned with waf ban")]
    reason: String,

    #[command(flatten)]
    redis: RedisArgs,
}

/// Lift a ban on every node sharing the Redis state.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 when the ban was lifted; 1 when there was no such \
                        ban; 2 for bad arguments or when Redis cannot be reached."
)]
pub struct UnbanArgs {
    /// The banned address or range, exactly as banned.
    #[arg(value_name = "ADDRESS|CIDR", value_parser = parse_target)]
    target: IpNet,

    #[command(flatten)]
    redis: RedisArgs,
}

/// List the bans in the shared Redis state: target, time left, reason.
#[derive(Debug, Args)]
pub struct BansArgs {
    /// One JSON object per line instead of a table.
    #[arg(long)]
    json: bool,

    #[command(flatten)]
    redis: RedisArgs,
}

/// `203.0.113.9` (a /32 or /128) or a CIDR range.
fn parse_target(text: &str) -> Result<IpNet, String> {
    text.parse::<IpNet>()
        .or_else(|_| text.parse::<IpAddr>().map(IpNet::from))
        .map(|net| net.trunc())
        .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR range"))
}

/// A node of our own for the length of the command: connected, with the shared set
/// loaded, inside a runtime that stops with it.
struct Node {
    runtime: tokio::runtime::Runtime,
    waf: Waf,
    shared: Shared,
    timeout: Duration,
}

impl Node {
    fn connect(args: &RedisArgs) -> Result<Self, Failure> {
        let url = args
            .redis
            .clone()
            .or_else(|| {
                std::env::var("WAF_REDIS_URL")
                    .ok()
                    .filter(|u| !u.is_empty())
            })
            .unwrap_or_else(|| SharedSettings::default().url);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Failure::runtime(format!("cannot start the runtime: {e}")))?;
        let waf = Waf::default();
        let settings = SharedSettings {
            prefix: args.prefix.clone(),
            node: Some(format!("waf-cli-{}", std::process::id())),
            ..SharedSettings::new(url.clone())
        };
        let shared = runtime.block_on(async {
            let shared = Shared::start(&waf, settings);
            shared.wait_connected(args.timeout).await.then_some(shared)
        });
        let shared = shared.ok_or_else(|| {
            Failure::usage(format!(
                "cannot reach Redis at {url} within {:?}",
                args.timeout
            ))
        })?;
        Ok(Self {
            runtime,
            waf,
            shared,
            timeout: args.timeout,
        })
    }

    /// Waits until this node's decision is in Redis.
    fn wait_sent(&self) -> Result<(), Failure> {
        let sent = self.runtime.block_on(async {
            let deadline = tokio::time::Instant::now() + self.timeout;
            while self.shared.stats().decisions_sent == 0 {
                if tokio::time::Instant::now() >= deadline {
                    return false;
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
            true
        });
        if sent {
            Ok(())
        } else {
            Err(Failure::runtime(
                "Redis did not take the change in time; it is sent when Redis is back only \
                 while this command runs, so run it again",
            ))
        }
    }
}

/// Runs `waf ban`.
pub fn ban(args: BanArgs) -> Result<(), Failure> {
    let node = Node::connect(&args.redis)?;
    node.waf.ban(args.target, args.ttl, &args.reason);
    node.wait_sent()?;
    let how_long = args.ttl.map_or_else(
        || "until unbanned".to_owned(),
        |ttl| format!("for {}", duration::show(ttl)),
    );
    print(&format!(
        "banned {} {how_long}: {}",
        args.target, args.reason
    ))
}

/// Runs `waf unban`.
pub fn unban(args: UnbanArgs) -> Result<(), Failure> {
    let node = Node::connect(&args.redis)?;
    if !node.waf.unban(args.target, "lifted with waf unban") {
        return Err(Failure::runtime(format!(
            "no ban on {} (`waf bans` lists them)",
            args.target
        )));
    }
    node.wait_sent()?;
    print(&format!("unbanned {}", args.target))
}

/// Runs `waf bans`.
pub fn list(args: BansArgs) -> Result<(), Failure> {
    let node = Node::connect(&args.redis)?;
    let mut bans = node.waf.bans();
    bans.sort_by_key(|ban| ban.target);
    let mut out = String::new();
    if args.json {
        for ban in &bans {
            let line = serde_json::json!({
                "target": ban.target.to_string(),
                "ttl_seconds": ban.ttl.map(|t| t.as_secs()),
                "reason": ban.reason,
            });
            out.push_str(&format!("{line}\n"));
        }
    } else if bans.is_empty() {
        out.push_str("no bans\n");
    } else {
        let width = bans
            .iter()
            .map(|b| b.target.to_string().len())
            .max()
            .unwrap_or(0)
            .max("TARGET".len());
        out.push_str(&format!("{:width$}  {:>10}  REASON\n", "TARGET", "LEFT"));
        for ban in &bans {
            let left = ban.ttl.map_or_else(|| "-".to_owned(), duration::show);
            out.push_str(&format!(
                "{:width$}  {left:>10}  {}\n",
                ban.target.to_string(),
                ban.reason
            ));
        }
    }
    print(out.trim_end())
}

fn print(text: &str) -> Result<(), Failure> {
    writeln!(std::io::stdout().lock(), "{text}")
        .map_err(|e| Failure::runtime(format!("cannot write the output: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn targets() {
        // (argument, parsed)
        let cases = [
            ("203.0.113.9", Some("203.0.113.9/32")),
            ("203.0.113.9/24", Some("203.0.113.0/24")),
            ("2001:db8::1", Some("2001:db8::1/128")),
            ("2001:db8::/48", Some("2001:db8::/48")),
            ("203.0.113.300", None),
            ("", None),
        ];
        for (text, parsed) in cases {
            let got = super::parse_target(text).ok().map(|n| n.to_string());
            assert_eq!(got.as_deref(), parsed, "{text}");
        }
    }
}
