//! The ONNX model: read from bytes, checked and optimised once, then run on batches.

use super::features::DIM;
use crate::{Error, ErrorKind};
use std::sync::Arc;
use tract_onnx::prelude::{
    DatumExt, Framework, InferenceModelExt, IntoRunnable, Tensor, TractResult, TypedRunnableModel,
    TypedSimplePlan, tvec,
};

/// Rows per inference: most requests have fewer values, more take several runs.
const BATCH: usize = 16;

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
            // A fixed batch: the plan is then fully static, with nothing left to resolve
            // per run (a symbolic batch re-plans its kernels on every call).
            .with_input_fact(0, f32::fact([BATCH, DIM]).into())
            .map_err(|e| fail(&format!("does not take float32[N, {DIM}] features"), &e))?
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

    /// Runs the rows in batches of [`BATCH`], the last one padded with blank rows.
    fn run(&self, rows: &[f32]) -> TractResult<Vec<f32>> {
        let count = rows.len() / DIM;
        let mut probabilities = Vec::with_capacity(count);
        let mut batch = vec![0.0f32; BATCH * DIM];
        for chunk in rows[..count * DIM].chunks(BATCH * DIM) {
            batch[..chunk.len()].copy_from_slice(chunk);
            batch[chunk.len()..].fill(0.0);
            let input = Tensor::from_shape(&[BATCH, DIM], &batch)?;
            let outputs = TypedRunnableModel::run(&self.plan, tvec!(input.into()))?;
            if let Some(output) = outputs.first() {
                let output = output.to_plain_array_view::<f32>()?;
                probabilities.extend(output.iter().copied().take(chunk.len() / DIM));
            }
        }
        Ok(probabilities)
    }
}
