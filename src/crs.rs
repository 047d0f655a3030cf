//! The OWASP Core Rule Set, loaded from a directory and set up for a paranoia level.
//!
//! ```no_run
//! use waf::crs::{self, Setup};
//!
//! let loaded = crs::load("../shared/crs".as_ref(), &Setup::production(1))?;
//! println!("{}", loaded.report());
//! let waf = waf::Waf::builder().rules(loaded.rules).build()?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use waf_core::rule::RuleSet;
use waf_rules::{load, seclang};

/// How the CRS is configured on top of its setup file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setup {
    /// The blocking paranoia level, 1–4 (`tx.blocking_paranoia_level`).
    pub paranoia: u8,
    /// Run in detection only, with the argument limits upstream's regression tests
    /// use (their rule 900005): what `waf rules test` needs.
    pub regression_tests: bool,
}

impl Setup {
    /// Blocking at `paranoia`, with the setup file's other defaults.
    pub fn production(paranoia: u8) -> Self {
        Self {
            paranoia,
            regression_tests: false,
        }
    }

    /// As upstream runs its regression suite: detection only, every rule up to
    /// `paranoia` (upstream uses 4), UTF-8 validation and its argument limits.
    pub fn regression_tests(paranoia: u8) -> Self {
        Self {
            paranoia,
            regression_tests: true,
        }
    }

    /// The directives inserted right after the setup file, where upstream includes its
    /// own configuration. Body access is what ModSecurity's recommended
    /// `modsecurity.conf` sets, which CRS expects.
    fn directives(&self) -> String {
        let paranoia = self.paranoia;
        let engine = "SecRequestBodyAccess On\n\
             SecResponseBodyAccess On\n\
             SecResponseBodyMimeType text/plain text/html text/xml application/json\n";
        if self.regression_tests {
            format!(
                "{engine}SecAction \"id:900005,phase:1,nolog,pass,t:none,\
                 ctl:ruleEngine=DetectionOnly,ctl:ruleRemoveById=910000,\
                 setvar:tx.blocking_paranoia_level={paranoia},setvar:tx.crs_validate_utf8_encoding=1,\
                 setvar:tx.arg_name_length=100,setvar:tx.arg_length=400,\
                 setvar:tx.total_arg_length=64000,setvar:tx.max_num_args=255,\
                 setvar:tx.max_file_size=64100,setvar:tx.combined_file_sizes=65535\"\n"
            )
        } else {
            format!(
                "{engine}SecAction \"id:900000,phase:1,pass,t:none,nolog,\
                 setvar:tx.blocking_paranoia_level={paranoia}\"\n"
            )
        }
    }
}

/// The CRS, compiled.
#[derive(Debug)]
pub struct Loaded {
    /// The rules, ready for [`waf_core::Waf`].
    pub rules: RuleSet,
    /// The directory read.
    pub dir: PathBuf,
    /// Files read (setup file and rule files).
    pub files: usize,
    /// Data files read.
    pub data_files: usize,
    /// Time to read, parse and compile.
    pub elapsed: Duration,
    /// The paranoia level set up.
    pub paranoia: u8,
}

impl Loaded {
    /// One line: what was loaded and how long it took.
    pub fn report(&self) -> String {
        let rules = self.rules.rules();
        let by_phase = |phase: u8| rules.iter().filter(|r| r.phase as u8 == phase).count();
        format!(
            "CRS from {}: {} files, {} data files, {} rules (phase 1: {}, 2: {}, 3: {}, 4: {}, 5: {}), \
             paranoia {}; loaded in {:.1} ms",
            self.dir.display(),
            self.files,
            self.data_files,
            rules.len(),
            by_phase(1),
            by_phase(2),
            by_phase(3),
            by_phase(4),
            by_phase(5),
            self.paranoia,
            self.elapsed.as_secs_f64() * 1e3,
        )
    }
}

/// The name the inserted setup directives carry in errors.
const SETUP_NAME: &str = "<waf crs setup>";

/// Loads the CRS of `dir` (`crs-setup.conf`, else `crs-setup.conf.example`, then
/// `rules/*.conf` with their data files) and compiles it with `setup`.
pub fn load(dir: &Path, setup: &Setup) -> Result<Loaded, String> {
    let started = Instant::now();
    let mut source = load::load_crs(dir)
        .map_err(|e| format!("cannot load the CRS from {}: {e}", dir.display()))?;
    let extra = seclang::parse(SETUP_NAME, &setup.directives())
        .map_err(|e| format!("the CRS setup does not parse: {e}"))?;
    // The setup file is the first file `load_crs` reads; ours goes right after it.
    let setup_file = source
        .files
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let at = source
        .rules
        .directives
        .iter()
        .position(|(location, _)| *location.file != *setup_file)
        .unwrap_or(source.rules.directives.len());
    source.rules.directives.splice(at..at, extra.directives);
    let rules =
        RuleSet::from_source("CRS", &source).map_err(|e| format!("cannot compile the CRS: {e}"))?;
    Ok(Loaded {
        rules,
        dir: dir.to_owned(),
        files: source.files.len(),
        data_files: source.data.len(),
        elapsed: started.elapsed(),
        paranoia: setup.paranoia,
    })
}

/// `given`, else `$WAF_CRS_DIR`, else `../shared/crs`.
pub fn dir(given: Option<&Path>) -> PathBuf {
    given.map(Path::to_owned).unwrap_or_else(|| {
        std::env::var_os("WAF_CRS_DIR")
            .map_or_else(|| PathBuf::from("../shared/crs"), PathBuf::from)
    })
}
