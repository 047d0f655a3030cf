//! The ONNX model: read from bytes, checked and optimised once, then run on batches.

use super::features::DIM;
use crate::{Error, ErrorKind};
use std::sync::{Arc, Mutex, PoisonError};
use tract_onnx::prelude::{
    DatumExt, Framework, InferenceModelExt, IntoRunnable, Tensor, TractResult, TypedSimplePlan,
    TypedSimpleState, tvec,
};

/// Rows per inference: most requests have fewer values, more take several runs.
const BATCH: usize = 16;
/// Run states kept for reuse: as many as inferences ran at once, up to this many.
const IDLE_STATES: usize = 32;

/// The model trained by `waf-core/ml/train.py` on the corpus's train split, shipped in
/// the crate (see `waf-core/ml/MODEL_CARD.md`).
pub static EMBEDDED: &[u8] = include_bytes!("../../models/request-anomaly.onnx");

/// A value model: `float32[N, DIM]` features in, `float32[N, 1]` probabilities out.
#[derive(Clone)]
pub struct Model {
    plan: Arc<TypedSimplePlan>,
    /// Run states between inferences: a fresh one per run would set up its ops' state
    /// and scratch space again, a good part of a small model's time.
    idle: Arc<Mutex<Vec<TypedSimpleState>>>,
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
            idle: Arc::default(),
            origin: Arc::from(origin),
        };
        let probe = model
            .run(1, |_, _| {})
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
        let count = rows.len() / DIM;
        self.probabilities_with(count, |i, row| {
            row.copy_from_slice(&rows[i * DIM..(i + 1) * DIM]);
        })
    }

    /// The probability of `count` rows, each written by `fill(i, row)` straight into
    /// the model's input (a zeroed row of `DIM` values): no copy on the request path.
    pub(crate) fn probabilities_with(
        &self,
        count: usize,
        fill: impl FnMut(usize, &mut [f32]),
    ) -> Result<Vec<f32>, Error> {
        self.run(count, fill).map_err(|e| {
            Error::new(
                ErrorKind::Config,
                format!("ML model {}: inference failed: {e:#}", self.origin),
            )
        })
    }

    /// Runs the rows in batches of [`BATCH`], the last one padded with blank rows, on an
    /// idle run state or a new one.
    fn run(&self, count: usize, mut fill: impl FnMut(usize, &mut [f32])) -> TractResult<Vec<f32>> {
        let idle = self
            .idle
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let mut state = match idle {
            Some(state) => state,
            None => self.plan.spawn()?,
        };
        let mut probabilities = Vec::with_capacity(count);
        for first in (0..count).step_by(BATCH) {
            let rows = (count - first).min(BATCH);
            let mut input = Tensor::zero::<f32>(&[BATCH, DIM])?;
            let mut plain = input.try_as_plain_ram_mut()?;
            let data = plain.as_slice_mut::<f32>()?;
            for (i, row) in data.chunks_exact_mut(DIM).take(rows).enumerate() {
                fill(first + i, row);
            }
            // An error drops the state (`?`): it goes back to the pool only whole.
            let outputs = state.run(tvec!(input.into()))?;
            if let Some(output) = outputs.first() {
                let output = output.to_plain_array_view::<f32>()?;
                probabilities.extend(output.iter().copied().take(rows));
            }
        }
        let mut idle = self.idle.lock().unwrap_or_else(PoisonError::into_inner);
        if idle.len() < IDLE_STATES {
            idle.push(state);
        }
        Ok(probabilities)
    }
}
