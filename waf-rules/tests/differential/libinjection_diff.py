#!/usr/bin/env python3
"""Differential test of our SQLi and XSS detectors against the reference libinjection.

What
    Runs the C libinjection (through the `libinjection-python` binding) and our
    `detectSQLi` / `detectXSS` detectors (through `waf detect --json`) on the same
    payloads, and reports where they agree and where they do not:

    * counts per source and detector: both detect, only libinjection, only ours, neither;
    * every disagreement (detector, who detects it, sources, payload).

Why
    libinjection is the detector the OWASP CRS rules 941100/942100 were written for.
    Our detectors differ from it on purpose (see the module docs of
    `waf_rules::detect::sqli` and `waf_rules::detect::xss`); this script keeps every
    difference visible and explained in `docs/detectors/libinjection-differences.md`,
    and `tests/libinjection_differential.rs` fails when the set of differences changes.

Payloads (each given to both engines exactly as written here)
    crs-941, crs-942    OWASP CRS regression tests (go-ftw YAML) of the XSS and SQLi
                        rule files, every test: from each stage's `input`,
                        * the URI: its path, percent-decoded, and the names and values
                          of its query arguments, form-decoded (`+` is a space);
                        * `data`: form-decoded names and values when the Content-Type is
                          absent or `application/x-www-form-urlencoded`, else as-is
                          (JSON, XML, multipart);
                        * headers: Cookie names and values (percent-decoded, as the CRS
                          rules' `t:urlDecodeUni` does), and every other header value as
                          sent, except Host, Accept, Content-Type, Content-Length,
                          Cache-Control and the default `OWASP CRS test agent`
                          User-Agent, which only frame the request.
                        Bytes that are not UTF-8 after decoding become U+FFFD.
    corpus-sqli,        the `payload` field of the corpus's `sqli` / `xss` attack lines
    corpus-xss          and of every benign line (train and dev files).
    corpus-benign

    crs-942 and corpus-sqli go to the SQLi detectors, crs-941 and corpus-xss to the XSS
    detectors, corpus-benign to both. Payloads are de-duplicated per detector; a payload
    found in several sources counts in each of them.

How to run
    python3 -m venv .venv && .venv/bin/pip install -r waf-rules/tests/differential/requirements.txt
    cargo build --release -p waf
    .venv/bin/python waf-rules/tests/differential/libinjection_diff.py \\
        --waf target/release/waf --json summary.json --markdown report.md

    --crs and --corpus default to the WAF_CRS_DIR and WAF_CORPUS_DIR environment
    variables, else `../shared/crs` and `../shared/corpus` beside the workspace.

How to regenerate the committed doc
    .venv/bin/python waf-rules/tests/differential/libinjection_diff.py \\
        --waf target/release/waf --write-doc

    The doc is hand-written prose around generated parts. The script rewrites only:
    the region between `<!-- BEGIN generated: summary -->` and its END marker (counts),
    the content of each fenced ```disagreements <category>``` block (the disagreements
    it held before that still occur, with fresh sources), and the region between
    `<!-- BEGIN generated: unexplained -->` and its END marker, which lists new
    disagreements. Move new ones into a category block (or write a new category) and
    explain them: the Rust test fails while any disagreement is unexplained.

Output
    --json FILE: {"sources": {source: {detector: {"both", "libinjection", "ours",
    "neither"}}}, "totals": {detector: {...}}, "disagreements": [{"detector", "who",
    "sources", "payload"}]}, in a deterministic order. Without --json nor a Markdown
    output, the JSON goes to standard output.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.parse
from pathlib import Path

import libinjection
import yaml

DETECTORS = ("sqli", "xss")
OPERATOR = {"sqli": "detectSQLi", "xss": "detectXSS"}
CATEGORIES = ("both", "libinjection", "ours", "neither")

# Source name → the detectors its payloads go to, in report order.
SOURCES = {
    "crs-941": ("xss",),
    "crs-942": ("sqli",),
    "corpus-sqli": ("sqli",),
    "corpus-xss": ("xss",),
    "corpus-benign": ("sqli", "xss"),
}
CRS_DIRS = {
    "crs-941": "REQUEST-941-APPLICATION-ATTACK-XSS",
    "crs-942": "REQUEST-942-APPLICATION-ATTACK-SQLI",
}
CORPUS_FILES = (
    "train-attacks.jsonl",
    "dev-attacks.jsonl",
    "train-benign.jsonl",
    "dev-benign.jsonl",
)
# Headers that only frame a CRS test request (values compared case-insensitively).
FRAMING_HEADERS = {"host", "accept", "content-type", "content-length", "cache-control"}
DEFAULT_USER_AGENT = "OWASP CRS test agent"

DOC = Path(__file__).resolve().parents[3] / "docs/detectors/libinjection-differences.md"
SUMMARY_BEGIN = "<!-- BEGIN generated: summary -->"
SUMMARY_END = "<!-- END generated: summary -->"
UNEXPLAINED_BEGIN = "<!-- BEGIN generated: unexplained -->"
UNEXPLAINED_END = "<!-- END generated: unexplained -->"
FENCE = re.compile(r"^```disagreements (\S+)\n(.*?)^```\n", re.M | re.S)


def form_pairs(text: str) -> list[str]:
    """Names and values of a form-encoded string, decoded."""
    pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, errors="replace")
    return [part for pair in pairs for part in pair]


def crs_stage_values(stage_input: dict) -> list[str]:
    """The values one CRS test stage sends that a detector would inspect."""
    values = []
    path, _, query = stage_input.get("uri", "").partition("?")
    values.append(urllib.parse.unquote(path, errors="replace"))
    values += form_pairs(query)
    headers = {str(k): str(v) for k, v in (stage_input.get("headers") or {}).items()}
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    data = stage_input.get("data")
    if data is not None:
        if not content_type or "x-www-form-urlencoded" in content_type.lower():
            values += form_pairs(data)
        else:
            values.append(data)
    for name, value in headers.items():
        lower = name.lower()
        if lower in FRAMING_HEADERS or (lower, value) == ("user-agent", DEFAULT_USER_AGENT):
            continue
        if lower == "cookie":
            for pair in value.split(";"):
                cookie_name, _, cookie_value = pair.strip().partition("=")
                values.append(urllib.parse.unquote(cookie_name, errors="replace"))
                values.append(urllib.parse.unquote(cookie_value, errors="replace"))
        else:
            values.append(value)
    return [v for v in values if v]


def crs_payloads(crs: Path, directory: str) -> list[str]:
    """Every value of every test of one CRS rule file directory."""
    values = []
    pattern = crs / "tests/regression/tests" / directory / "*.yaml"
    for path in sorted(glob.glob(str(pattern))):
        with open(path, encoding="utf-8") as f:
            tests = yaml.safe_load(f)["tests"]
        for test in tests:
            for stage in test["stages"]:
                values += crs_stage_values(stage["input"])
    return values


def corpus_payloads(corpus: Path) -> dict[str, list[str]]:
    """The `payload` of the corpus's sqli and xss attack lines and of its benign lines."""
    out = {"corpus-sqli": [], "corpus-xss": [], "corpus-benign": []}
    for name in CORPUS_FILES:
        with open(corpus / name, encoding="utf-8") as f:
            for line in f:
                record = json.loads(line)
                kind = "benign" if record["label"] == "benign" else record["class"]
                source = f"corpus-{kind}"
                if source in out:
                    out[source].append(record["payload"])
    return out


def load_sources(crs: Path, corpus: Path) -> dict[str, list[str]]:
    """Source name → its payloads (with repeats), in SOURCES order."""
    found = {name: crs_payloads(crs, directory) for name, directory in CRS_DIRS.items()}
    found.update(corpus_payloads(corpus))
    return {name: found[name] for name in SOURCES}


def run_libinjection(detector: str, payloads: list[str]) -> list[bool]:
    """libinjection's verdict on each payload."""
    if detector == "sqli":
        return [bool(libinjection.is_sql_injection(p)["is_sqli"]) for p in payloads]
    return [bool(libinjection.is_xss(p)["is_xss"]) for p in payloads]


def run_ours(waf: str, detector: str, payloads: list[str]) -> list[bool]:
    """One `waf detect --json` run over every payload (one JSON string a line)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", encoding="utf-8") as f:
        f.writelines(json.dumps(p) + "\n" for p in payloads)
        f.flush()
        result = subprocess.run(
            [waf, "detect", "--kind", OPERATOR[detector], "--json", "--input", f.name],
            capture_output=True,
            text=True,
            check=True,
        )
    # Not splitlines(): a fragment may hold U+2028 and the like.
    lines = result.stdout.removesuffix("\n").split("\n")
    if len(lines) != len(payloads):
        sys.exit(f"waf detect: {len(lines)} answers for {len(payloads)} payloads: {result.stderr}")
    return [bool(json.loads(line)["detections"]) for line in lines]


def compare(waf: str, sources: dict[str, list[str]]) -> dict:
    """Runs both engines and builds the summary (see the module doc, Output)."""
    summary = {"sources": {}, "totals": {}, "disagreements": []}
    for detector in DETECTORS:
        payload_sources: dict[str, list[str]] = {}
        for source, payloads in sources.items():
            if detector in SOURCES[source]:
                for p in payloads:
                    names = payload_sources.setdefault(p, [])
                    if source not in names:
                        names.append(source)
        payloads = sorted(payload_sources)
        theirs = run_libinjection(detector, payloads)
        ours = run_ours(waf, detector, payloads)
        totals = dict.fromkeys(CATEGORIES, 0)
        for payload, li, we in zip(payloads, theirs, ours):
            # CATEGORIES is ordered (li, we) = (T, T), (T, F), (F, T), (F, F).
            category = CATEGORIES[2 * (not li) + (not we)]
            totals[category] += 1
            for source in payload_sources[payload]:
                by_detector = summary["sources"].setdefault(source, {})
                by_detector.setdefault(detector, dict.fromkeys(CATEGORIES, 0))[category] += 1
            if li != we:
                summary["disagreements"].append(
                    {
                        "detector": detector,
                        "who": category,
                        "sources": payload_sources[payload],
                        "payload": payload,
                    }
                )
        summary["totals"][detector] = totals
    summary["sources"] = {s: summary["sources"][s] for s in SOURCES if s in summary["sources"]}
    return summary


def entry_line(d: dict) -> str:
    """One disagreement as a line of a ```disagreements``` block."""
    return f"{d['detector']} {d['who']} {','.join(d['sources'])} {json.dumps(d['payload'])}"


def entry_key(line: str) -> tuple[str, str, str]:
    """(detector, who, payload) of a block line: what identifies a disagreement."""
    detector, who, _sources, payload = line.split(" ", 3)
    return detector, who, json.loads(payload)


def summary_markdown(summary: dict, categories: list[tuple[str, str, list[str]]]) -> str:
    """The counts per source and detector, then the disagreements per category."""
    rows = [
        "| source | detector | both | only libinjection | only ours | neither | agreement |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    entries = [(s, d, c) for s, by in summary["sources"].items() for d, c in by.items()]
    entries += [("all (unique)", d, c) for d, c in summary["totals"].items()]
    for source, detector, c in entries:
        agreement = 100 * (c["both"] + c["neither"]) / max(1, sum(c.values()))
        rows.append(
            f"| {source} | {detector} | {c['both']} | {c['libinjection']} | {c['ours']} "
            f"| {c['neither']} | {agreement:.1f} % |"
        )
    columns = [(detector, who) for detector in DETECTORS for who in ("libinjection", "ours")]
    rows += [
        "",
        "| category | block | " + " | ".join(f"{d}, only {w}" for d, w in columns) + " |",
        "| --- | --- |" + " ---: |" * len(columns),
    ]
    for heading, category, lines in categories:
        counts = [sum(line.startswith(f"{d} {w} ") for line in lines) for d, w in columns]
        rows.append(f"| {heading} | `{category}` | " + " | ".join(map(str, counts)) + " |")
    return "\n".join(rows)


def unexplained_markdown(lines: list[str]) -> str:
    """The "Unexplained" section: disagreements in no category block."""
    if not lines:
        return "No unexplained disagreements."
    return (
        "## Unexplained\n\nNew disagreements, not yet explained: move each into the block of "
        "its category (or add a category) and say why.\n\n```disagreements unexplained\n"
        + "".join(line + "\n" for line in lines)
        + "```"
    )


def skeleton() -> str:
    """A doc with only its generated parts, for the first run."""
    return (
        "# Differences between our SQLi/XSS detectors and libinjection\n\n"
        f"{SUMMARY_BEGIN}\n{SUMMARY_END}\n\n{UNEXPLAINED_BEGIN}\n{UNEXPLAINED_END}\n"
    )


def replace_region(text: str, begin: str, end: str, body: str) -> str:
    """`text` with the lines between the `begin` and `end` markers replaced by `body`."""
    start, stop = text.index(begin) + len(begin), text.index(end)
    return f"{text[:start]}\n{body}\n{text[stop:]}"


def render_doc(summary: dict, previous: str) -> str:
    """The doc with its generated parts rewritten from `summary` (see the module doc)."""
    current = {
        (d["detector"], d["who"], d["payload"]): entry_line(d) for d in summary["disagreements"]
    }
    previous = replace_region(previous, UNEXPLAINED_BEGIN, UNEXPLAINED_END, "")
    categories = []  # (heading, block name, lines), in doc order
    for match in FENCE.finditer(previous):
        keys = {entry_key(line) for line in match.group(2).splitlines()} & current.keys()
        headings = [h for h in previous[: match.start()].splitlines() if h.startswith("#")]
        title = headings[-1].lstrip("#").strip() if headings else match.group(1)
        categories.append((title, match.group(1), [current[k] for k in sorted(keys)]))
    blocks = iter(categories)

    def block(match: re.Match) -> str:
        body = "".join(f"{line}\n" for line in next(blocks)[2])
        return f"```disagreements {match.group(1)}\n{body}```\n"

    doc = FENCE.sub(block, previous)
    placed = {entry_key(line) for _, _, lines in categories for line in lines}
    unexplained = [current[k] for k in sorted(current.keys() - placed)]
    doc = replace_region(doc, SUMMARY_BEGIN, SUMMARY_END, summary_markdown(summary, categories))
    unexplained_text = unexplained_markdown(unexplained)
    return replace_region(doc, UNEXPLAINED_BEGIN, UNEXPLAINED_END, unexplained_text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    workspace = Path(__file__).resolve().parents[3]
    parser.add_argument("--waf", required=True, help="path of the `waf` binary")
    for name, env, default in [
        ("--crs", "WAF_CRS_DIR", "shared/crs"),
        ("--corpus", "WAF_CORPUS_DIR", "shared/corpus"),
    ]:
        fallback = os.environ.get(env, workspace.parent / default)
        help_text = f"default: ${env}, else ../{default} beside the workspace"
        parser.add_argument(name, type=Path, default=Path(fallback), help=help_text)
    parser.add_argument("--json", type=Path, help="write the JSON summary here")
    parser.add_argument("--markdown", type=Path, help="write the report (the regenerated doc) here")
    parser.add_argument(
        "--write-doc", action="store_true", help=f"regenerate {DOC.relative_to(workspace)}"
    )
    args = parser.parse_args()

    summary = compare(args.waf, load_sources(args.crs, args.corpus))
    if args.json:
        text = json.dumps(summary, indent=1, ensure_ascii=False) + "\n"
        args.json.write_text(text, encoding="utf-8")
    if args.markdown or args.write_doc:
        doc = render_doc(summary, DOC.read_text(encoding="utf-8") if DOC.exists() else skeleton())
        if args.markdown:
            args.markdown.write_text(doc, encoding="utf-8")
        if args.write_doc:
            DOC.parent.mkdir(parents=True, exist_ok=True)
            DOC.write_text(doc, encoding="utf-8")
    if not (args.json or args.markdown or args.write_doc):
        json.dump(summary, sys.stdout, indent=1, ensure_ascii=False)
        print()


if __name__ == "__main__":
    main()
