//! The Lua scripts that change shared state: each runs atomically in Redis, so nodes
//! never see half a change, and each reads the time from Redis (`TIME`), so nodes
//! whose clocks disagree still agree on expiries and rates.
//!
//! The ban set is a sorted set (`<prefix>:bans`) of targets scored by their expiry in
//! Unix milliseconds (`+inf`: never), with the reasons in a hash (`<prefix>:ban-reasons`);
//! every change is also published on `<prefix>:decisions`.

use redis::Script;
use std::sync::LazyLock;

/// `KEYS`: bans, reasons. `ARGV`: target, TTL in ms (empty: none), reason, channel,
/// message. Also drops up to 100 expired entries, so that the set does not grow with
/// bans nobody lifts.
pub(crate) static BAN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expiry = '+inf'
if ARGV[2] ~= '' then expiry = string.format('%.0f', now + tonumber(ARGV[2])) end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. now, 'LIMIT', 0, 100)
if #old > 0 then
  redis.call('ZREM', KEYS[1], unpack(old))
  redis.call('HDEL', KEYS[2], unpack(old))
end
redis.call('ZADD', KEYS[1], expiry, ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5])
return 1
",
    )
});

/// `KEYS`: bans, reasons. `ARGV`: target, channel, message.
pub(crate) static UNBAN: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 1
",
    )
});

/// `KEYS`: bans, reasons. Returns the live bans as a flat list of
/// `target, TTL in ms (-1: none), reason`.
pub(crate) static LOAD_BANS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local live = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. now, '+inf', 'WITHSCORES')
local out = {}
for i = 1, #live, 2 do
  local ttl = -1
  if live[i + 1] ~= 'inf' then ttl = tonumber(live[i + 1]) - now end
  out[#out + 1] = live[i]
  out[#out + 1] = ttl
  out[#out + 1] = redis.call('HGET', KEYS[2], live[i]) or ''
end
return out
",
    )
});

/// GCRA for one rate-limit key, taking up to a batch of requests at once.
///
/// `KEYS`: the key's hash (`tat`: theoretical arrival time, `cool`: refused until; both
/// in Unix µs). `ARGV`: emission interval µs, tolerance µs, requests wanted, cooldown µs.
/// Returns `{granted, wait µs, exceeded}`: `granted` requests fit (at most the number
/// wanted); when none does, `wait` is how long the client must wait and `exceeded` is 1
/// for the request that went over the limit (starting the cooldown), 0 during a
/// cooldown. The key expires when its state would no longer matter.
pub(crate) static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local wanted = tonumber(ARGV[3])
local cooldown = tonumber(ARGV[4])
local state = redis.call('HMGET', KEYS[1], 'tat', 'cool')
local tat = tonumber(state[1]) or now
local cool = tonumber(state[2]) or 0
if cool > now then return {0, cool - now, 0} end
if tat < now then tat = now end
local fit = math.floor((tolerance - (tat - now)) / interval) + 1
if fit < 1 then
  if cooldown > 0 then
    cool = now + cooldown
    redis.call('HSET', KEYS[1], 'cool', string.format('%.0f', cool))
    redis.call('PEXPIRE', KEYS[1], math.ceil(math.max(tat - now, cooldown) / 1000) + 1000)
    return {0, cooldown, 1}
  end
  return {0, tat - now - tolerance, 1}
end
local granted = math.min(fit, wanted)
tat = tat + granted * interval
redis.call('HSET', KEYS[1], 'tat', string.format('%.0f', tat))
redis.call('PEXPIRE', KEYS[1], math.ceil((tat - now) / 1000) + 1000)
return {granted, 0, 0}
",
    )
});
