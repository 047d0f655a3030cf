//! Threat intelligence: IP reputation feeds, parsed from text, as the `threat_intel`
//! signal of the weighted score.
//!
//! The core reads no files: the caller hands each feed's text to
//! [`ThreatIntel::load`] with its [`Feed`] description. Two formats cover the common
//! feeds:
//!
//! - `lines`: one address or CIDR range per line; `#` and `;` start comments, so
//!   Spamhaus DROP (`192.0.2.0/24 ; SBL123`) and most blocklists read as they are.
//!   Every entry has the feed's `score`.
//! - `csv`: a header line, then rows; the address is in `address_column` (default the
//!   first column), the score in `score_column`, divided by `score_scale` (100 for
//!   percentages) and clamped to [0, 1].
//!
//! An address's reputation is the highest score of the entries holding it, across
//! feeds.
//!
//! ```
//! use std::sync::Arc;
//! use waf_core::Waf;
//! use waf_core::intel::{Feed, FeedFormat, ThreatIntel};
//!
//! let mut intel = ThreatIntel::default();
//! intel.load("; Spamhaus DROP\n192.0.2.0/24 ; SBL123\n", &Feed::default())?;
//! let csv = Feed { format: FeedFormat::Csv, score_column: "confidence".into(), score_scale: 100.0, ..Feed::default() };
//! intel.load("ip,confidence\n198.51.100.7,80\n", &csv)?;
//! assert_eq!(intel.reputation("192.0.2.55".parse().unwrap()), 1.0);
//! assert_eq!(intel.reputation("198.51.100.7".parse().unwrap()), 0.8);
//! assert_eq!(intel.reputation("203.0.113.1".parse().unwrap()), 0.0);
//! let waf = Waf::builder().signal_source(Arc::new(intel)).build()?;
//! # Ok::<(), waf_core::Error>(())
//! ```

use crate::prefix::PrefixMap;
use crate::request::RequestView;
use crate::verdict::RuleMatch;
use crate::{Assessment, Error, ErrorKind, SignalSource};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The format of a feed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FeedFormat {
    /// One address or range per line, `#`/`;` comments (plain lists, Spamhaus DROP).
    #[default]
    Lines,
    /// A header line, then comma-separated rows with an address and a score column.
    Csv,
}

/// How to read a feed (for a configuration's feed table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Feed {
    /// Its format (`lines`).
    pub format: FeedFormat,
    /// The score of every entry of a `lines` feed, in [0, 1] (1.0).
    pub score: f64,
    /// The CSV column holding the address or range; empty (the default): the first.
    pub address_column: String,
    /// The CSV column holding the score (`score`).
    pub score_column: String,
    /// What CSV scores are divided by (1.0; 100 for percentages).
    pub score_scale: f64,
}

impl Default for Feed {
    fn default() -> Self {
        Self {
            format: FeedFormat::Lines,
            score: 1.0,
            address_column: String::new(),
            score_column: "score".into(),
            score_scale: 1.0,
        }
    }
}

/// The name of the signal, and of its weight.
pub const SIGNAL: &str = "threat_intel";

/// Reputation of addresses and ranges, from feeds; a [`SignalSource`] named
/// `threat_intel`.
#[derive(Debug, Default)]
pub struct ThreatIntel {
    scores: PrefixMap<f64>,
}

fn error(line: usize, message: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Config, format!("feed line {line}: {message}"))
}

fn parse_net(text: &str) -> Option<IpNet> {
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<IpAddr>().ok().map(IpNet::from))
}

impl ThreatIntel {
    /// Adds the entries of one feed's `text`; returns how many it held. Nothing is added
    /// when the feed has an error, which names its line.
    pub fn load(&mut self, text: &str, feed: &Feed) -> Result<usize, Error> {
        if !(feed.score.is_finite() && (0.0..=1.0).contains(&feed.score)) {
            return Err(Error::new(
                ErrorKind::Config,
                format!("feed score must be in [0, 1], found {}", feed.score),
            ));
        }
        if !(feed.score_scale.is_finite() && feed.score_scale > 0.0) {
            return Err(Error::new(
                ErrorKind::Config,
                format!("feed score_scale must be > 0, found {}", feed.score_scale),
            ));
        }
        let entries = match feed.format {
            FeedFormat::Lines => lines(text, feed.score)?,
            FeedFormat::Csv => csv(text, feed)?,
        };
        let count = entries.len();
        for (net, score) in entries {
            let best = self
                .scores
                .insert(net, score)
                .map_or(score, |old| old.max(score));
            self.scores.insert(net, best);
        }
        Ok(count)
    }

    /// The reputation of `client` in [0, 1]: 0 when no feed names it.
    pub fn reputation(&self, client: IpAddr) -> f64 {
        let mut best = 0.0f64;
        // Every matching entry is offered; refusing them all visits each one.
        self.scores.find(client, |score| {
            best = best.max(*score);
            false
        });
        best
    }

    /// How many addresses and ranges it holds.
    pub fn len(&self) -> usize {
        self.scores.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The content of a line without its comment, trimmed.
fn content(line: &str) -> &str {
    line.split(['#', ';']).next().unwrap_or_default().trim()
}

fn lines(text: &str, score: f64) -> Result<Vec<(IpNet, f64)>, Error> {
    let mut entries = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let entry = content(line);
        if entry.is_empty() {
            continue;
        }
        let net = parse_net(entry).ok_or_else(|| {
            error(
                index + 1,
                format_args!("not an address or CIDR range: {entry:?}"),
            )
        })?;
        entries.push((net, score));
    }
    Ok(entries)
}

fn cells(line: &str) -> impl Iterator<Item = &str> {
    line.split(',')
        .map(|cell| cell.trim().trim_matches('"').trim())
}

fn csv(text: &str, feed: &Feed) -> Result<Vec<(IpNet, f64)>, Error> {
    let mut rows = text
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'));
    let Some((header_index, header)) = rows.next() else {
        return Ok(Vec::new());
    };
    let column = |name: &str| cells(header).position(|cell| cell.eq_ignore_ascii_case(name));
    let address = if feed.address_column.is_empty() {
        0
    } else {
        column(&feed.address_column).ok_or_else(|| {
            error(
                header_index + 1,
                format_args!("no address_column {:?} in the header", feed.address_column),
            )
        })?
    };
    let score = column(&feed.score_column).ok_or_else(|| {
        error(
            header_index + 1,
            format_args!("no score_column {:?} in the header", feed.score_column),
        )
    })?;
    let mut entries = Vec::new();
    for (index, row) in rows {
        let cells: Vec<&str> = cells(row).collect();
        let cell = |at: usize, name: &str| {
            cells
                .get(at)
                .copied()
                .ok_or_else(|| error(index + 1, format_args!("no {name} column")))
        };
        let net_text = cell(address, "address")?;
        let net = parse_net(net_text).ok_or_else(|| {
            error(
                index + 1,
                format_args!("not an address or CIDR range: {net_text:?}"),
            )
        })?;
        let score_text = cell(score, "score")?;
        let value = score_text
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| error(index + 1, format_args!("not a score: {score_text:?}")))?;
        entries.push((net, (value / feed.score_scale).clamp(0.0, 1.0)));
    }
    Ok(entries)
}

impl SignalSource for ThreatIntel {
    fn name(&self) -> &str {
        SIGNAL
    }

    fn assess(&self, request: &RequestView) -> Assessment {
        let signal = self.reputation(request.client);
        let matches = if signal > 0.0 {
            vec![RuleMatch::signal(
                SIGNAL,
                format!("Client address has a bad reputation ({signal:.2})"),
                "REMOTE_ADDR".into(),
                request.client.to_string(),
            )]
        } else {
            Vec::new()
        };
        Assessment {
            signal,
            matches,
            ..Assessment::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn formats() {
        let csv = |column: &str, scale: f64| Feed {
            format: FeedFormat::Csv,
            address_column: column.into(),
            score_column: "Score".into(),
            score_scale: scale,
            ..Feed::default()
        };
        // (feed text, feed, entries, address, reputation)
        let cases = [
            (
                "# list\n203.0.113.9\n\n2001:db8::/32 # v6\n",
                Feed::default(),
                2,
                "2001:db8::5",
                1.0,
            ),
            (
                "; Spamhaus DROP List 2026/11/21\n; Last-Modified: x\n192.0.2.0/24 ; SBL123\n198.51.100.0/22 ; SBL456\n",
                Feed {
                    score: 0.9,
                    ..Feed::default()
                },
                2,
                "198.51.103.255",
                0.9,
            ),
            (
                "ip,score\n203.0.113.9,0.4\n\"198.51.100.1\", 0.7\n",
                csv("", 1.0),
                2,
                "198.51.100.1",
                0.7,
            ),
            (
                "when,network,score\n2026,192.0.2.0/24,250\n",
                csv("Network", 100.0),
                1,
                "192.0.2.1",
                1.0,
            ),
            ("# comment\nip,score\n", csv("", 1.0), 0, "192.0.2.1", 0.0),
            ("", csv("", 1.0), 0, "192.0.2.1", 0.0),
        ];
        for (text, feed, count, address, reputation) in cases {
            let mut intel = ThreatIntel::default();
            assert_eq!(intel.load(text, &feed).unwrap(), count, "{text}");
            assert_eq!(intel.reputation(ip(address)), reputation, "{text}");
        }
    }

    #[test]
    fn errors_name_the_line() {
        let csv = Feed {
            format: FeedFormat::Csv,
            ..Feed::default()
        };
        // (feed text, feed, message part)
        let cases = [
            (
                "192.0.2.1\n\n192.0.2.300\n",
                Feed::default(),
                "line 3: not an address",
            ),
            (
                "ip,score\n192.0.2.1,high\n",
                csv.clone(),
                "line 2: not a score",
            ),
            (
                "ip,score\n192.0.2.1\n",
                csv.clone(),
                "line 2: no score column",
            ),
            ("ip,rating\n", csv.clone(), "line 1: no score_column"),
            (
                "ip,score\n",
                Feed {
                    address_column: "net".into(),
                    ..csv.clone()
                },
                "line 1: no address_column",
            ),
            (
                "192.0.2.1\n",
                Feed {
                    score: 2.0,
                    ..Feed::default()
                },
                "score must be in [0, 1]",
            ),
        ];
        for (text, feed, needle) in cases {
            let mut intel = ThreatIntel::default();
            let err = intel.load(text, &feed).unwrap_err();
            assert!(err.message().contains(needle), "{text}: {err}");
            assert!(intel.is_empty(), "nothing is added from a broken feed");
        }
    }

    #[test]
    fn highest_score_wins_across_feeds_and_ranges() {
        let mut intel = ThreatIntel::default();
        intel
            .load(
                "192.0.2.0/24\n",
                &Feed {
                    score: 0.5,
                    ..Feed::default()
                },
            )
            .unwrap();
        intel
            .load(
                "192.0.2.7\n192.0.2.0/24\n",
                &Feed {
                    score: 0.3,
                    ..Feed::default()
                },
            )
            .unwrap();
        intel
            .load(
                "192.0.2.0/24\n",
                &Feed {
                    score: 0.2,
                    ..Feed::default()
                },
            )
            .unwrap();
        assert_eq!(intel.len(), 2);
        assert_eq!(intel.reputation(ip("192.0.2.7")), 0.5);
        assert_eq!(intel.reputation(ip("192.0.2.8")), 0.5);
    }
}
