//! The dashboard's live state: per-second counts, the recent events and the tallies of
//! rules and clients, all bounded, and the JSON snapshot the page shows.

use crate::observe::Transaction;
use serde::Serialize;
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// How much of a URI or rule message an event keeps, in bytes.
const TEXT_LIMIT: usize = 200;
/// How many rules an event lists.
const RULES_PER_EVENT: usize = 5;
/// The seconds the rates are averaged over.
const RATE_WINDOW: u64 = 10;

/// The bounded state, behind the dashboard's mutex.
#[derive(Debug)]
pub(crate) struct Live {
    seconds: Vec<Second>,
    requests: u64,
    blocked: u64,
    events: VecDeque<Event>,
    event_limit: usize,
    rules: Tally<u32, RuleLabel>,
    clients: Tally<IpAddr, u64>,
    top: usize,
}

/// The counts of one second, in a ring indexed by the second.
#[derive(Debug, Clone, Copy, Default)]
struct Second {
    /// The second (Unix time) the counts are for.
    at: u64,
    requests: u64,
    blocked: u64,
}

/// A stopped or logged request, as the page lists it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Event {
    /// Unix time in milliseconds.
    time: u64,
    id: String,
    client: IpAddr,
    method: String,
    uri: String,
    action: &'static str,
    reason: &'static str,
    status: u16,
    rules: Vec<EventRule>,
}

#[derive(Debug, Clone, Serialize)]
struct EventRule {
    id: u32,
    message: String,
}

#[derive(Debug, Clone)]
struct RuleLabel {
    source: Arc<str>,
    message: Arc<str>,
}

impl Live {
    /// Empty state keeping `history` seconds, `events` events and `tally` entries per
    /// tally, of which the snapshot shows the `top`.
    pub(crate) fn new(history: usize, events: usize, tally: usize, top: usize) -> Self {
        Self {
            seconds: vec![Second::default(); history.max(1)],
            requests: 0,
            blocked: 0,
            events: VecDeque::with_capacity(events),
            event_limit: events,
            rules: Tally::new(tally),
            clients: Tally::new(tally),
            top,
        }
    }

    /// Counts one transaction; an event is built (outside the lock) by [`event`] for
    /// those worth listing.
    pub(crate) fn record(&mut self, t: &Transaction<'_>, event: Option<Event>) {
        let stopped = t.stopped();
        let at = unix(t.time) / 1000;
        let len = self.seconds.len();
        let second = &mut self.seconds[(at % len as u64) as usize];
        if second.at != at {
            *second = Second {
                at,
                ..Second::default()
            };
        }
        second.requests += 1;
        self.requests += 1;
        if stopped {
            second.blocked += 1;
            self.blocked += 1;
        }
        let blocked = self.clients.add(t.client, || 0);
        if stopped {
            *blocked += 1;
        }
        if let Some(event) = event {
            let mut seen = Vec::with_capacity(RULES_PER_EVENT);
            for m in t.matches() {
                if !seen.contains(&m.rule_id) {
                    seen.push(m.rule_id);
                    self.rules.add(m.rule_id, || RuleLabel {
                        source: m.source.clone(),
                        message: m.message.clone(),
                    });
                }
            }
            if self.event_limit > 0 {
                if self.events.len() == self.event_limit {
                    self.events.pop_back();
                }
                self.events.push_front(event);
            }
        }
    }

    /// What the page shows at `now`, bans and mode aside.
    pub(crate) fn snapshot(&self, now: SystemTime) -> Counts {
        let now = unix(now) / 1000;
        let len = self.seconds.len() as u64;
        let series: Vec<[u64; 2]> = (now.saturating_sub(len - 1)..=now)
            .map(|at| {
                let second = self.seconds[(at % len) as usize];
                if second.at == at {
                    [second.requests, second.blocked]
                } else {
                    [0, 0]
                }
            })
            .collect();
        let window = series.iter().rev().take(RATE_WINDOW as usize);
        let (requests, blocked) = window.fold((0, 0), |(r, b), s| (r + s[0], b + s[1]));
        let top_rules = self
            .rules
            .top(self.top)
            .map(|(id, count, label)| TopRule {
                id: *id,
                source: label.source.to_string(),
                message: cut(&label.message),
                count,
            })
            .collect();
        let top_clients = self
            .clients
            .top(self.top)
            .map(|(client, requests, blocked)| TopClient {
                client: *client,
                requests,
                blocked: *blocked,
            })
            .collect();
        Counts {
            requests: self.requests,
            blocked: self.blocked,
            request_rate: requests as f64 / RATE_WINDOW as f64,
            block_rate: blocked as f64 / RATE_WINDOW as f64,
            series,
            events: self.events.iter().cloned().collect(),
            top_rules,
            top_clients,
        }
    }
}

/// The event for `t`, if it is one to list: stopped, or matched by some rule (logged).
pub(crate) fn event(t: &Transaction<'_>) -> Option<Event> {
    if !t.stopped() && t.matches().next().is_none() {
        return None;
    }
    let mut rules: Vec<EventRule> = Vec::with_capacity(RULES_PER_EVENT);
    for m in t.matches() {
        if rules.len() == RULES_PER_EVENT {
            break;
        }
        if !rules.iter().any(|r| r.id == m.rule_id) {
            rules.push(EventRule {
                id: m.rule_id,
                message: cut(&m.message),
            });
        }
    }
    Some(Event {
        time: unix(t.time),
        id: cut(t.request_id),
        client: t.client,
        method: cut(&t.request.method),
        uri: cut(&t.request.uri),
        action: t.action().name(),
        reason: crate::audit::reason_name(t.deciding_verdict().reason),
        status: t.status,
        rules,
    })
}

/// The counts part of a snapshot.
#[derive(Debug, Serialize)]
pub(crate) struct Counts {
    requests: u64,
    blocked: u64,
    request_rate: f64,
    block_rate: f64,
    /// `[requests, blocked]` per second, oldest first, the current second last.
    series: Vec<[u64; 2]>,
    events: Vec<Event>,
    top_rules: Vec<TopRule>,
    top_clients: Vec<TopClient>,
}

#[derive(Debug, Serialize)]
struct TopRule {
    id: u32,
    source: String,
    message: String,
    count: u64,
}

#[derive(Debug, Serialize)]
struct TopClient {
    client: IpAddr,
    requests: u64,
    blocked: u64,
}

/// Approximate counts of the most frequent keys in bounded memory (Space-Saving): a
/// new key, when the tally is full, takes the place of the least counted one and starts
/// from its count plus one, so a count may be high but a frequent key is never missed.
#[derive(Debug)]
struct Tally<K, V> {
    entries: HashMap<K, (u64, V)>,
    capacity: usize,
}

impl<K: Hash + Eq + Clone, V> Tally<K, V> {
    fn new(capacity: usize) -> Self {
        Self {
            entries: HashMap::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
        }
    }

    /// Counts `key` once more; its value, made by `value` if the key is new.
    fn add(&mut self, key: K, value: impl FnOnce() -> V) -> &mut V {
        let mut start = 0;
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            let least = self
                .entries
                .iter()
                .min_by_key(|(_, (count, _))| *count)
                .map(|(k, (count, _))| (k.clone(), *count));
            if let Some((least, count)) = least {
                self.entries.remove(&least);
                start = count;
            }
        }
        let entry = self.entries.entry(key).or_insert_with(|| (start, value()));
        entry.0 += 1;
        &mut entry.1
    }

    /// The `n` most counted, most first (ties in no particular order).
    fn top(&self, n: usize) -> impl Iterator<Item = (&K, u64, &V)> {
        let mut all: Vec<_> = self.entries.iter().map(|(k, (c, v))| (k, *c, v)).collect();
        all.sort_by_key(|(_, count, _)| std::cmp::Reverse(*count));
        all.into_iter().take(n)
    }
}

/// Milliseconds since the Unix epoch (0 for times before it).
fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis().try_into().unwrap_or(u64::MAX))
}

/// `text` cut to [`TEXT_LIMIT`] bytes at a character boundary, with `…` when cut.
fn cut(text: &str) -> String {
    if text.len() <= TEXT_LIMIT {
        return text.to_owned();
    }
    let mut end = TEXT_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_tally_keeps_the_frequent_keys() {
        let mut tally = Tally::new(3);
        for _ in 0..10 {
            tally.add("heavy", || ());
        }
        for key in ["a", "b", "c", "d", "e", "f"] {
            tally.add(key, || ());
        }
        assert_eq!(tally.entries.len(), 3);
        let top: Vec<_> = tally.top(1).map(|(k, c, _)| (*k, c)).collect();
        assert_eq!(top, [("heavy", 10)]);
    }

    #[test]
    fn cut_keeps_whole_characters() {
        let long = "é".repeat(150);
        let short = cut(&long);
        assert!(short.ends_with('…'));
        assert_eq!(short.len(), TEXT_LIMIT + '…'.len_utf8());
        assert_eq!(cut("/short"), "/short");
    }
}
