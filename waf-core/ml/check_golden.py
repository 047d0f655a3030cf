"""Checks the committed golden file against features.py and the committed model.

    python check_golden.py ../tests/data/ml-features.jsonl ../models/request-anomaly.onnx

The Rust test `ml_features` checks the Rust side against the same file; together they
keep `features.py`, `features.rs` and the shipped model in step.
"""

import json
import sys

import numpy as np
import onnx
from onnx.reference import ReferenceEvaluator

import features as F


def main(golden_path, model_path):
    model = ReferenceEvaluator(onnx.load(model_path))
    failures = 0
    with open(golden_path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            golden = json.loads(line)
            value = bytes.fromhex(golden["value_hex"])
            norm = F.normalise(value)
            ngrams = sorted([k, v] for k, v in F.ngram_counts(norm).items())
            dense = F.dense_features(value, norm)
            row = np.asarray([F.value_features(golden["location"], value)], dtype=np.float32)
            (probability,) = model.run(None, {"values": row})
            problems = []
            if ngrams != golden["ngrams"]:
                problems.append("n-gram counts differ")
            if not np.allclose(dense, golden["dense"], rtol=0, atol=1e-9):
                problems.append(f"dense features differ: {dense} vs {golden['dense']}")
            if abs(float(probability[0][0]) - golden["probability"]) > 1e-5:
                problems.append(f"model gives {probability[0][0]}, golden {golden['probability']}")
            for problem in problems:
                print(f"{golden_path}:{number}: {problem}", file=sys.stderr)
            failures += bool(problems)
    if failures:
        sys.exit(f"{failures} golden lines out of step: regenerate with train.py --golden (see MODEL_CARD.md)")
    print(f"{golden_path}: in step with features.py and {model_path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
