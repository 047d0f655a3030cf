//! One call: a fresh instance in its own store, with fuel and a memory limit.
//!
//! Every request gets a new instance: nothing a request leaves in the plugin's memory
//! reaches the next one, and a call that failed leaves nothing broken behind.
//! Instantiating a compiled module is cheap next to compiling it (see the benchmark).

use super::abi::MAX_SCORE;
use super::config::Limits;
use super::host::{CallState, Report};
use super::module::Compiled;
use std::collections::BTreeMap;
use std::sync::Arc;
use wasmi::{Instance, ResourceLimiter, Store, TrapCode, TypedFunc};
use wasmi_core::LimiterError;

/// A WebAssembly page.
const PAGE: usize = 65_536;
/// The largest table a plugin may have (function pointers of a C plugin).
const MAX_TABLE_ELEMENTS: usize = 65_536;

/// What a successful call said.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Output {
    /// The score in thousandths, `0..=1000`.
    pub score: i32,
    pub reports: Vec<Report>,
}

/// Why a call failed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Failure {
    /// The plugin trapped (`unreachable`, out-of-bounds access, stack overflow, …).
    Trap(String),
    /// It used up its fuel.
    OutOfFuel,
    /// It tried to grow its memory (or tables) past the limit.
    MemoryLimit,
    /// It returned a score out of range, or passed a host function bad arguments.
    BadValue(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Trap(what) => write!(f, "trap: {what}"),
            Self::OutOfFuel => f.write_str("out of fuel"),
            Self::MemoryLimit => f.write_str("memory limit reached"),
            Self::BadValue(what) => write!(f, "bad value: {what}"),
        }
    }
}

/// Refuses growth past the limit, and remembers that it did: hitting the limit fails
/// the call even if the plugin copes with `memory.grow` returning -1, so that a plugin
/// that needs more than it was given shows up in the statistics.
pub(crate) struct MemoryLimiter {
    max_bytes: usize,
    pub hit: bool,
}

impl MemoryLimiter {
    pub fn new(pages: u32) -> Self {
        Self {
            max_bytes: pages as usize * PAGE,
            hit: false,
        }
    }
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired > self.max_bytes {
            self.hit = true;
            return Ok(false);
        }
        Ok(maximum.is_none_or(|maximum| desired <= maximum))
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, LimiterError> {
        if desired > MAX_TABLE_ELEMENTS {
            self.hit = true;
            return Ok(false);
        }
        Ok(maximum.is_none_or(|maximum| desired <= maximum))
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        1
    }

    fn memories(&self) -> usize {
        1
    }
}

/// Runs one export of a fresh instance within `limits`.
struct Call<'a> {
    compiled: &'a Compiled,
    store: Store<CallState>,
}

impl<'a> Call<'a> {
    fn new(
        compiled: &'a Compiled,
        plugin: &Arc<str>,
        settings: &Arc<BTreeMap<String, String>>,
        limits: &Limits,
    ) -> Self {
        let mut store = Store::new(
            &compiled.engine,
            CallState {
                plugin: Arc::clone(plugin),
                settings: Arc::clone(settings),
                limiter: MemoryLimiter::new(limits.memory_pages),
                reports: Vec::new(),
                log_lines: 0,
                bad_value: None,
            },
        );
        store.limiter(|state| &mut state.limiter);
        store.set_fuel(limits.fuel).expect("the engine meters fuel");
        Self { compiled, store }
    }

    /// Instantiates the module and calls `export` with what `params` returns (having
    /// written the request into the instance, for `waf_inspect`).
    fn run<Params: wasmi::WasmParams>(
        &mut self,
        export: &str,
        params: impl FnOnce(&mut Store<CallState>, Instance) -> Result<Params, wasmi::Error>,
    ) -> Result<i32, Failure> {
        let result = self.try_run(export, params);
        let state = self.store.data();
        // The limiter and host functions know better than the error they caused.
        if state.limiter.hit {
            return Err(Failure::MemoryLimit);
        }
        if let Some(what) = &state.bad_value {
            return Err(Failure::BadValue(what.clone()));
        }
        result.map_err(|error| match error.as_trap_code() {
            Some(TrapCode::OutOfFuel) => Failure::OutOfFuel,
            _ => Failure::Trap(error.to_string()),
        })
    }

    fn try_run<Params: wasmi::WasmParams>(
        &mut self,
        export: &str,
        params: impl FnOnce(&mut Store<CallState>, Instance) -> Result<Params, wasmi::Error>,
    ) -> Result<i32, wasmi::Error> {
        let instance = self
            .compiled
            .linker
            .instantiate_and_start(&mut self.store, &self.compiled.module)?;
        let params = params(&mut self.store, instance)?;
        let func: TypedFunc<Params, i32> = instance.get_typed_func(&self.store, export)?;
        func.call(&mut self.store, params)
    }
}

/// Calls `waf_abi_version` of a fresh instance.
pub(crate) fn abi_version(
    compiled: &Compiled,
    plugin: &Arc<str>,
    settings: &Arc<BTreeMap<String, String>>,
    limits: &Limits,
) -> Result<i32, Failure> {
    Call::new(compiled, plugin, settings, limits).run("waf_abi_version", |_, _| Ok(()))
}

/// Calls `waf_inspect` of a fresh instance on the encoded request.
pub(crate) fn inspect(
    compiled: &Compiled,
    plugin: &Arc<str>,
    settings: &Arc<BTreeMap<String, String>>,
    limits: &Limits,
    encoded: &[u8],
) -> Result<Output, Failure> {
    let mut call = Call::new(compiled, plugin, settings, limits);
    let score = call.run("waf_inspect", |store, instance| {
        let len = i32::try_from(encoded.len())
            .map_err(|_| wasmi::Error::new("the request is larger than 2 GiB"))?;
        let alloc: TypedFunc<i32, i32> = instance.get_typed_func(&*store, "waf_alloc")?;
        let ptr = alloc.call(&mut *store, len)?;
        let memory = instance
            .get_memory(&*store, "memory")
            .ok_or_else(|| wasmi::Error::new("no memory export"))?;
        if memory
            .write(&mut *store, ptr as u32 as usize, encoded)
            .is_err()
        {
            let what = format!("waf_alloc({len}) returned {ptr}: not {len} bytes of the memory");
            store.data_mut().bad_value = Some(what.clone());
            return Err(wasmi::Error::new(what));
        }
        Ok((ptr, len))
    })?;
    if !(0..=MAX_SCORE).contains(&score) {
        return Err(Failure::BadValue(format!(
            "waf_inspect returned {score}, expected 0..={MAX_SCORE}"
        )));
    }
    Ok(Output {
        score,
        reports: std::mem::take(&mut call.store.data_mut().reports),
    })
}
