//! The host functions a plugin imports (module `waf`), and the state one call keeps.

use super::abi::{HOST_FUNCTIONS, HOST_MODULE};
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmi::{Caller, Extern, Linker};

/// The most reports one call may make; more is a bad value.
pub const MAX_REPORTS: usize = 16;
/// The most log lines one call may write; later ones are dropped.
pub const MAX_LOG_LINES: usize = 16;
/// The longest log line or report message kept, in bytes; the rest is cut.
pub const MAX_MESSAGE: usize = 1024;
/// The longest setting name `waf.config` looks up.
const MAX_KEY: usize = 256;

/// What `waf.report` recorded.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Report {
    pub rule_id: u32,
    pub deny: bool,
    pub message: String,
}

/// The state of one call (one store): what the plugin may read and what it said.
pub(crate) struct CallState {
    pub plugin: Arc<str>,
    pub settings: Arc<BTreeMap<String, String>>,
    pub limiter: super::instance::MemoryLimiter,
    pub reports: Vec<Report>,
    pub log_lines: usize,
    /// Set when a host function refused the plugin's arguments: the call failed with a
    /// bad value, not a trap of its own.
    pub bad_value: Option<String>,
}

/// The linker with the host functions, built once per plugin.
pub(crate) fn linker(engine: &wasmi::Engine) -> Linker<CallState> {
    let mut linker = Linker::new(engine);
    // The names are distinct and the signatures plain: defining cannot fail.
    let [log_name, config_name, report_name] = HOST_FUNCTIONS;
    linker
        .func_wrap(HOST_MODULE, log_name, log)
        .and_then(|l| l.func_wrap(HOST_MODULE, config_name, config))
        .and_then(|l| l.func_wrap(HOST_MODULE, report_name, report))
        .expect("host functions are defined once each");
    linker
}

/// `log(level, ptr, len)`: level 0 error, 1 warn, 2 info, 3 debug.
fn log(
    mut caller: Caller<'_, CallState>,
    level: i32,
    ptr: i32,
    len: i32,
) -> Result<(), wasmi::Error> {
    let text = read(&mut caller, "log", ptr, len, MAX_MESSAGE)?;
    let state = caller.data_mut();
    if state.log_lines >= MAX_LOG_LINES {
        return Ok(());
    }
    state.log_lines += 1;
    let text = String::from_utf8_lossy(&text);
    let plugin = &*state.plugin;
    match level {
        0 => tracing::error!(target: "waf::plugins", plugin, "{text}"),
        1 => tracing::warn!(target: "waf::plugins", plugin, "{text}"),
        2 => tracing::info!(target: "waf::plugins", plugin, "{text}"),
        3 => tracing::debug!(target: "waf::plugins", plugin, "{text}"),
        _ => {
            return Err(refuse(
                &mut caller,
                format!("log: unknown level {level} (0..=3)"),
            ));
        }
    }
    Ok(())
}

/// `config(key_ptr, key_len, buf_ptr, buf_cap) -> len`: copies the setting `key` into
/// the buffer (at most `buf_cap` bytes) and returns its whole length, or -1 when
/// there is no such setting.
fn config(
    mut caller: Caller<'_, CallState>,
    key_ptr: i32,
    key_len: i32,
    buf_ptr: i32,
    buf_cap: i32,
) -> Result<i32, wasmi::Error> {
    if !(0..=MAX_KEY as i32).contains(&key_len) || buf_cap < 0 {
        return Err(refuse(
            &mut caller,
            format!("config: key length {key_len} or buffer size {buf_cap} out of range"),
        ));
    }
    let key = read(&mut caller, "config", key_ptr, key_len, MAX_KEY)?;
    let settings = Arc::clone(&caller.data().settings);
    let Some(value) = std::str::from_utf8(&key).ok().and_then(|k| settings.get(k)) else {
        return Ok(-1);
    };
    let copied = value.len().min(buf_cap as usize);
    write(&mut caller, "config", buf_ptr, &value.as_bytes()[..copied])?;
    Ok(i32::try_from(value.len()).unwrap_or(i32::MAX))
}

/// `report(rule_id, action, msg_ptr, msg_len)`: action 0 flags (the match explains
/// the score), 1 denies.
fn report(
    mut caller: Caller<'_, CallState>,
    rule_id: i32,
    action: i32,
    ptr: i32,
    len: i32,
) -> Result<(), wasmi::Error> {
    let deny = match action {
        0 => false,
        1 => true,
        _ => {
            return Err(refuse(
                &mut caller,
                format!("report: unknown action {action} (0 flags, 1 denies)"),
            ));
        }
    };
    if caller.data().reports.len() >= MAX_REPORTS {
        return Err(refuse(
            &mut caller,
            format!("report: more than {MAX_REPORTS} reports"),
        ));
    }
    let message = read(&mut caller, "report", ptr, len, MAX_MESSAGE)?;
    caller.data_mut().reports.push(Report {
        // Rule ids are u32 in the engine; the ABI passes them as i32 bits.
        rule_id: rule_id as u32,
        deny,
        message: String::from_utf8_lossy(&message).into_owned(),
    });
    Ok(())
}

/// Reads `len` bytes (at most `max`: the rest is not read) at `ptr` of the plugin's
/// memory.
fn read(
    caller: &mut Caller<'_, CallState>,
    function: &str,
    ptr: i32,
    len: i32,
    max: usize,
) -> Result<Vec<u8>, wasmi::Error> {
    let Ok(len) = usize::try_from(len) else {
        return Err(refuse(caller, format!("{function}: negative length {len}")));
    };
    let mut bytes = vec![0; len.min(max)];
    let read = memory(caller)
        .and_then(|memory| memory.read(&*caller, ptr as u32 as usize, &mut bytes).ok());
    match read {
        Some(()) => Ok(bytes),
        None => Err(refuse(
            caller,
            format!(
                "{function}: {len} bytes at {} are outside the memory",
                ptr as u32
            ),
        )),
    }
}

/// Writes `bytes` at `ptr` of the plugin's memory.
fn write(
    caller: &mut Caller<'_, CallState>,
    function: &str,
    ptr: i32,
    bytes: &[u8],
) -> Result<(), wasmi::Error> {
    let written = memory(caller)
        .and_then(|memory| memory.write(&mut *caller, ptr as u32 as usize, bytes).ok());
    match written {
        Some(()) => Ok(()),
        None => Err(refuse(
            caller,
            format!(
                "{function}: {} bytes at {} are outside the memory",
                bytes.len(),
                ptr as u32
            ),
        )),
    }
}

fn memory(caller: &Caller<'_, CallState>) -> Option<wasmi::Memory> {
    caller.get_export("memory").and_then(Extern::into_memory)
}

/// Records why a host function refused the call and makes the error that stops it.
fn refuse(caller: &mut Caller<'_, CallState>, message: String) -> wasmi::Error {
    let error = wasmi::Error::new(message.clone());
    caller.data_mut().bad_value = Some(message);
    error
}
