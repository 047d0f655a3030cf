//! Compiling a module once and checking that it follows the ABI.

use super::abi::{ABI_VERSION, EXPORTS, HOST_FUNCTIONS, HOST_MODULE};
use super::error::{PluginError, PluginErrorKind};
use super::host::{self, CallState};
use wasmi::{CompilationMode, Config, Engine, ExternType, Linker, Module, ValType};

/// A compiled module and the linker that instantiates it.
pub(crate) struct Compiled {
    pub engine: Engine,
    pub module: Module,
    pub linker: Linker<CallState>,
}

impl Compiled {
    /// Validates and compiles `wasm`, and checks its exports against the ABI.
    pub fn new(plugin: &str, wasm: &[u8]) -> Result<Self, PluginError> {
        let mut config = Config::default();
        config
            .consume_fuel(true)
            // Everything is translated now: a module that cannot be is refused at load,
            // and the first request pays no translation.
            .compilation_mode(CompilationMode::Eager);
        let engine = Engine::new(&config);
        let module = Module::new(&engine, wasm).map_err(|e| {
            PluginError::new(
                PluginErrorKind::Module,
                plugin,
                format!("not a valid WebAssembly module: {e}"),
            )
        })?;
        check_imports(plugin, &module)?;
        check_exports(plugin, &module)?;
        let linker = host::linker(&engine);
        Ok(Self {
            engine,
            module,
            linker,
        })
    }
}

/// Everything imported is a host function (whose signature linking checks).
fn check_imports(plugin: &str, module: &Module) -> Result<(), PluginError> {
    match module
        .imports()
        .find(|import| import.module() != HOST_MODULE || !HOST_FUNCTIONS.contains(&import.name()))
    {
        Some(import) => Err(PluginError::new(
            PluginErrorKind::Module,
            plugin,
            format!(
                "imports `{}.{}`, which the host does not offer (it offers {})",
                import.module(),
                import.name(),
                HOST_FUNCTIONS
                    .map(|name| format!("{HOST_MODULE}.{name}"))
                    .join(", ")
            ),
        )),
        None => Ok(()),
    }
}

/// Every ABI export is there with its signature, and the memory is exported.
fn check_exports(plugin: &str, module: &Module) -> Result<(), PluginError> {
    let abi = |message: String| PluginError::new(PluginErrorKind::Abi, plugin, message);
    let find = |name: &str| {
        module
            .exports()
            .find(|export| export.name() == name)
            .map(|export| export.ty().clone())
    };
    match find("memory") {
        Some(ExternType::Memory(_)) => {}
        _ => {
            return Err(abi(
                "missing export `memory` (the module's linear memory)".into()
            ));
        }
    }
    for (name, signature) in EXPORTS {
        let Some(ty) = find(name) else {
            return Err(abi(format!(
                "missing export `{name}`: fn{signature} (ABI version {ABI_VERSION})"
            )));
        };
        let ExternType::Func(func) = ty else {
            return Err(abi(format!(
                "export `{name}` is not a function: fn{signature}"
            )));
        };
        let params = func.params().len();
        let all_i32 = func
            .params()
            .iter()
            .chain(func.results())
            .all(|t| *t == ValType::I32);
        let expected_params = signature.matches("i32").count() - 1;
        if !all_i32 || params != expected_params || func.results().len() != 1 {
            return Err(abi(format!(
                "export `{name}` has the signature {func:?}, expected fn{signature}"
            )));
        }
    }
    Ok(())
}
