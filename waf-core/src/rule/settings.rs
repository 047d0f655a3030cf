//! What rule files configure besides rules: the engine mode, body access and limits.

use waf_rules::seclang::{BodyLimitAction, EngineMode};

/// The configuration directives of a rule set, last one wins.
///
/// The engine applies [`Settings::engine`] itself; the others are for whatever feeds it
/// (the HTTP middleware reads the response settings to decide which response bodies to
/// buffer, and the request limits).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// `SecRuleEngine`: `On` unless a file says otherwise.
    pub engine: EngineMode,
    /// `SecRequestBodyAccess` (on unless turned off).
    pub request_body_access: bool,
    /// `SecResponseBodyAccess` (off unless turned on).
    pub response_body_access: bool,
    /// `SecResponseBodyMimeType`: the response media types whose bodies are inspected,
    /// lower case. ModSecurity's default is `text/plain text/html`.
    pub response_body_mime_types: Vec<String>,
    /// `SecRequestBodyLimit`.
    pub request_body_limit: Option<u64>,
    /// `SecRequestBodyNoFilesLimit`.
    pub request_body_no_files_limit: Option<u64>,
    /// `SecRequestBodyLimitAction`.
    pub request_body_limit_action: BodyLimitAction,
    /// `SecResponseBodyLimit`.
    pub response_body_limit: Option<u64>,
    /// `SecResponseBodyLimitAction`.
    pub response_body_limit_action: BodyLimitAction,
    /// `SecRequestBodyJsonDepthLimit`.
    pub json_depth_limit: Option<u64>,
    /// `SecArgumentsLimit`.
    pub arguments_limit: Option<u64>,
    /// `SecUploadFileLimit`.
    pub upload_file_limit: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            engine: EngineMode::On,
            request_body_access: true,
            response_body_access: false,
            response_body_mime_types: vec!["text/plain".into(), "text/html".into()],
            request_body_limit: None,
            request_body_no_files_limit: None,
            request_body_limit_action: BodyLimitAction::Reject,
            response_body_limit: None,
            response_body_limit_action: BodyLimitAction::ProcessPartial,
            json_depth_limit: None,
            arguments_limit: None,
            upload_file_limit: None,
        }
    }
}

impl Settings {
    /// Whether a response body of this `Content-Type` is inspected.
    pub fn inspects_response_type(&self, content_type: &[u8]) -> bool {
        if !self.response_body_access {
            return false;
        }
        let mime = content_type
            .split(|&b| b == b';')
            .next()
            .unwrap_or_default()
            .trim_ascii();
        self.response_body_mime_types
            .iter()
            .any(|m| m.as_bytes().eq_ignore_ascii_case(mime))
    }
}
