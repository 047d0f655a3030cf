#!/usr/bin/env bash
# Checks the ML training pipeline: installs its pinned requirements into
# target/ml-venv, trains and exports a model end to end on a small sample of the corpus
# (to a temporary file: the committed model is not touched), and checks that the
# committed golden files still match features.py and the committed model.
#
#   bash waf-core/ml/ci-check.sh            # corpus at ../shared/corpus
#   WAF_CORPUS=/path/to/corpus bash waf-core/ml/ci-check.sh
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=${WAF_CORPUS:-$root/../shared/corpus}
venv=$root/target/ml-venv
sample=${WAF_ML_SAMPLE:-300}

for file in train-attacks train-benign dev-attacks dev-benign; do
    [ -f "$corpus/$file.jsonl" ] || { echo "ci-check: $corpus/$file.jsonl is missing" >&2; exit 2; }
done
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$here"
"$venv/bin/python" train.py --sample "$sample" \
    --train "$corpus/train-attacks.jsonl" "$corpus/train-benign.jsonl" \
    --dev "$corpus/dev-attacks.jsonl" "$corpus/dev-benign.jsonl" \
    --out "$tmp/model.onnx" --metrics "$tmp/metrics.json" \
    --golden-requests "$tmp/ml-requests.jsonl" > /dev/null
"$venv/bin/python" -c "import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]))" "$tmp/model.onnx"
diff -u ../tests/data/ml-requests.jsonl "$tmp/ml-requests.jsonl" \
    || { echo "ci-check: request values out of step with the golden file" >&2; exit 1; }
"$venv/bin/python" check_golden.py ../tests/data/ml-features.jsonl ../models/request-anomaly.onnx
echo "ci-check: pipeline ran on $sample lines per file; exported $(stat -c %s "$tmp/model.onnx") bytes"
