//! waf
