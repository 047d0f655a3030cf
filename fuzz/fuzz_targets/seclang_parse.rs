//! Any text through the SecLang parser and the rule compiler: errors are fine, panics
//! are not.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(file) = waf_rules::seclang::parse("fuzz.conf", &text) {
        let _ = waf_core::rule::RuleSet::from_seclang("fuzz", &file);
    }
});
