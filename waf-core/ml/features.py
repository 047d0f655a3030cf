"""Features of one input value, exactly as `waf-core/src/ml/features.rs` computes them.

Every change here must be made there too: `ci-check.sh` regenerates the golden file
`waf-core/tests/data/ml-features.jsonl` from this module and the Rust test
`ml_features` compares it with the Rust side.

A request becomes a list of (location, value) pairs (`request_values`), each value a
row of `DIM` floats (`value_features`):

* `HASH_DIM` hashed character n-grams (n = 1, 2, 3) of the normalised value
  (first `MAX_VALUE` bytes, `%XX` decoded once more, ASCII lower-cased), framed by
  \\x02 ... \\x03; FNV-1a 32 of `[n] + gram`, masked to `HASH_DIM`; each bucket holds
  log(1 + count);
* `DENSE` shape features: length, entropy, character-class fractions, word count,
  longest punctuation run, whether decoding changed the value;
* a one-hot of the value's location in the request.
"""

import json
import math

LOCATIONS = ["path", "query", "body", "cookie", "header", "raw_body"]
MAX_VALUE = 1024
MAX_VALUES = 64
HASH_DIM = 512
NGRAMS = (1, 2, 3)
DENSE = 11
DIM = HASH_DIM + DENSE + len(LOCATIONS)

FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
WHITESPACE = b" \t\n\r\x0b\x0c"


def fnv1a(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFF
    return h


def _hex(b: int):
    if 0x30 <= b <= 0x39:
        return b - 0x30
    if 0x61 <= b <= 0x66:
        return b - 0x61 + 10
    if 0x41 <= b <= 0x46:
        return b - 0x41 + 10
    return None


def percent_decode(data: bytes, plus_is_space: bool) -> bytes:
    """%XX decoded; an invalid escape stays as written."""
    out = bytearray()
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x25 and i + 2 < len(data):
            hi, lo = _hex(data[i + 1]), _hex(data[i + 2])
            if hi is not None and lo is not None:
                out.append(hi * 16 + lo)
                i += 3
                continue
        if plus_is_space and b == 0x2B:
            out.append(0x20)
        else:
            out.append(b)
        i += 1
    return bytes(out)


def normalise(raw: bytes) -> bytes:
    return percent_decode(raw[:MAX_VALUE], False).lower()


def ngram_counts(norm: bytes) -> dict:
    """Bucket -> count of the hashed n-grams."""
    framed = b"\x02" + norm + b"\x03"
    counts = {}
    for n in NGRAMS:
        for i in range(len(framed) - n + 1):
            bucket = fnv1a(bytes([n]) + framed[i : i + n]) & (HASH_DIM - 1)
            counts[bucket] = counts.get(bucket, 0) + 1
    return counts


def dense_features(raw: bytes, norm: bytes) -> list:
    n = len(norm)
    histogram = [0] * 256
    for b in norm:
        histogram[b] += 1
    entropy = 0.0
    for c in histogram:
        if c:
            p = c / n
            entropy -= p * math.log2(p)
    letters = digits = spaces = punct = high = control = 0
    words = 0
    in_word = False
    punct_run = longest_punct = 0
    for b in norm:
        word_char = 0x61 <= b <= 0x7A or 0x30 <= b <= 0x39 or b == 0x5F
        if 0x61 <= b <= 0x7A:
            letters += 1
        elif 0x30 <= b <= 0x39:
            digits += 1
        elif b in WHITESPACE:
            spaces += 1
        elif 0x21 <= b <= 0x7E:
            punct += 1
        elif b >= 0x80:
            high += 1
        else:
            control += 1
        if word_char and not in_word:
            words += 1
        in_word = word_char
        is_punct = 0x21 <= b <= 0x7E and not (0x61 <= b <= 0x7A or 0x30 <= b <= 0x39)
        punct_run = punct_run + 1 if is_punct else 0
        longest_punct = max(longest_punct, punct_run)
    denominator = max(n, 1)
    decoded = 1.0 if norm != raw[:MAX_VALUE].lower() else 0.0
    return [
        math.log1p(len(raw)),
        entropy,
        letters / denominator,
        digits / denominator,
        spaces / denominator,
        punct / denominator,
        high / denominator,
        control / denominator,
        math.log1p(words),
        math.log1p(longest_punct),
        decoded,
    ]


def value_features(location: str, raw: bytes) -> list:
    """One row of `DIM` features (float64; the model reads them as float32)."""
    norm = normalise(raw)
    row = [0.0] * DIM
    for bucket, count in ngram_counts(norm).items():
        row[bucket] = math.log1p(count)
    row[HASH_DIM : HASH_DIM + DENSE] = dense_features(raw, norm)
    row[HASH_DIM + DENSE + LOCATIONS.index(location)] = 1.0
    return row


# --- from a recorded request (requests-jsonl) to its values -------------------------


def _urlencoded(data: bytes) -> list:
    values = []
    for pair in data.split(b"&"):
        if not pair:
            continue
        _, eq, value = pair.partition(b"=")
        values.append(percent_decode(value if eq else b"", True))
    return values


def _json_leaves(doc, out: list):
    if isinstance(doc, dict):
        for v in doc.values():
            _json_leaves(v, out)
    elif isinstance(doc, list):
        for v in doc:
            _json_leaves(v, out)
    elif doc is None:
        out.append(b"")
    elif doc is True or doc is False:
        out.append(b"true" if doc else b"false")
    else:
        # Strings, and numbers kept as written (parse_int/parse_float=str).
        out.append(str(doc).encode("utf-8", "surrogatepass"))


def _multipart_fields(body: bytes, content_type: str) -> list:
    boundary = None
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key.lower() == "boundary":
            boundary = value.strip('"').encode()
    if not boundary:
        return []
    values = []
    for part in body.split(b"--" + boundary)[1:]:
        if part.startswith(b"--"):
            break
        head, sep, content = part.partition(b"\r\n\r\n")
        if not sep or b"filename=" in head.lower():
            continue
        values.append(content[:-2] if content.endswith(b"\r\n") else content)
    return values


def body_processor(content_type: str):
    mime = content_type.split(";")[0].strip().lower()
    if mime == "application/x-www-form-urlencoded":
        return "urlencoded"
    if mime == "multipart/form-data":
        return "multipart"
    if mime == "application/json" or mime.endswith("+json"):
        return "json"
    if mime in ("text/xml", "application/xml") or mime.endswith("+xml"):
        return "xml"
    return None


def request_values(request: dict) -> list:
    """(location, value bytes) pairs of a recorded request, in the engine's order:
    the decoded path, query arguments, body arguments (or the raw body when no
    argument parser reads it: XML, unknown types), cookies, then other headers."""
    uri = request["uri"]
    path, _, query = uri.partition("?")
    headers = request.get("headers") or []
    if request.get("body_b64"):
        import base64

        body = base64.b64decode(request["body_b64"])
    else:
        body = (request.get("body") or "").encode("utf-8", "surrogatepass")
    content_type = next((v for k, v in headers if k.lower() == "content-type"), "")
    values = [("path", percent_decode(path.encode(), False))]
    values += [("query", v) for v in _urlencoded(query.encode())]
    processor = body_processor(content_type) if content_type else None
    if body:
        if processor == "urlencoded":
            values += [("body", v) for v in _urlencoded(body)]
        elif processor == "json":
            leaves = []
            try:
                doc = json.loads(body.decode("utf-8", "surrogatepass"), parse_int=str, parse_float=str)
                _json_leaves(doc, leaves)
            except ValueError:
                pass
            values += [("body", v) for v in leaves]
        elif processor == "multipart":
            values += [("body", v) for v in _multipart_fields(body, content_type)]
        else:
            values.append(("raw_body", body))
    for name, value in headers:
        if name.lower() != "cookie":
            continue
        for pair in value.encode().split(b";"):
            pair = pair.strip()
            if pair:
                _, _, v = pair.partition(b"=")
                values.append(("cookie", v.strip()))
    for name, value in headers:
        if name.lower() != "cookie":
            values.append(("header", value.encode()))
    return values[:MAX_VALUES]
