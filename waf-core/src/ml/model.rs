//! The ONNX model: read from bytes, checked and optimised once, then run on batches.

use super::features::DIM;
use crate::{Error, ErrorKind};
use std::sync::Arc;
use tract_onnx::prelude::{
    Framework, InferenceModelExt, IntoRunnable, Tensor, TractResult, TypedRunnableModel,
    TypedSimplePlan, tvec,
};

/// The model trained by `waf-core/ml/train.py` on the corpus's train split, shipped in
/// the crate (see `waf-core/ml/MODEL_CARD.md`).
pub static EMBEDDED: &[u8] = include_bytes!("../../models/request-anomaly.onnx");

/// A value model: `float32[N, DIM]` features in, `float32[N, 1]` probabilities out.
#[derive(Clone)]
pub struct Model {
    plan: Arc<TypedSimplePlan>,
    origin: Arc<str>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

impl Model {
    /// The embedded model.
    pub fn embedded() -> Result<Self, Error> {
        Self::from_bytes("the embedded model", EMBEDDED)
    }

    /// Reads, checks and optimises an ONNX model; `origin` names it in errors (a path).
    ///
    /// The model must take one `float32[N, DIM]` input and give `N` probabilities: it is
    /// run once on a blank row to make sure, so that a wrong model fails here and not
    /// on traffic.
    pub fn from_bytes(origin: &str, bytes: &[u8]) -> Result<Self, Error> {
        let fail = |what: &str, e: &dyn std::fmt::Display| {
            Error::new(
                ErrorKind::Config,
                format!("ML model {origin}: {what}: {e:#}"),
            )
        };
        let plan = tract_onnx::onnx()
            .model_for_read(&mut &bytes[..])
            .map_err(|e| fail("not a readable ONNX model", &e))?
            .into_optimized()
            .map_err(|e| fail("cannot be optimised", &e))?
            .into_runnable()
            .map_err(|e| fail("cannot be planned", &e))?;
        let model = Self {
            plan,
            origin: Arc::from(origin),
        };
        let probe = model
            .run(&[0.0; DIM])
            .map_err(|e| fail(&format!("does not take float32[N, {DIM}] features"), &e))?;
        if probe.len() != 1 {
            return Err(fail(
                "wrong output",
                &format!("{} probabilities for one row", probe.len()),
            ));
        }
        Ok(model)
    }

    /// Where the model came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The probability of each row of `rows` (row-major, `DIM` features per row).
    pub fn probabilities(&self, rows: &[f32]) -> Result<Vec<f32>, Error> {
        self.run(rows).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("ML model {}: inference failed: {e:#}", self.origin),
            )
        })
    }

    fn run(&self, rows: &[f32]) -> TractResult<Vec<f32>> {
        let input = Tensor::from_shape(&[rows.len() / DIM, DIM], rows)?;
        let outputs = TypedRunnableModel::run(&self.plan, tvec!(input.into()))?;
        match outputs.first() {
            Some(output) => Ok(output
                .to_plain_array_view::<f32>()?
                .iter()
                .copied()
                .collect()),
            None => Ok(Vec::new()),
        }
    }
}
