//! Placeholder: filled in by the body-parser work.

use super::{BodyError, Limits, ParsedBody};

pub(super) fn parse(_body: &[u8], _limits: &Limits, _out: &mut ParsedBody<'_>) -> Result<(), BodyError> {
    Ok(())
}
