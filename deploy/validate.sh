#!/usr/bin/env bash
# Validates the deployment files without a cluster or a container engine:
#   - every Kubernetes manifest under deploy/k8s against the Kubernetes JSON schemas of
#     one Kubernetes version, strictly (unknown fields are errors), with
#     kubernetes-validate, which ships the schemas: no network once installed;
#   - deploy/Dockerfile parsed with dockerfile-parse, and checked to end in a non-root
#     stage.
# Both come from PyPI into a virtual environment under target/, made on first use.
#
#   deploy/validate.sh                 # everything above
#   deploy/validate.sh FILE.yaml...    # only these manifests
#
# Exit status: 0 valid, 1 invalid, 3 the validator could not be installed (no network).
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${WAF_DEPLOY_VENV:-target/venv-deploy}
kubernetes=${WAF_K8S_VERSION:-1.31.0}
requirements=(kubernetes-validate==1.37.0 dockerfile-parse==2.0.1)

if ! "$venv/bin/python" -c 'import kubernetes_validate, dockerfile_parse' 2>/dev/null; then
  echo "installing ${requirements[*]} into $venv" >&2
  if ! { python3 -m venv "$venv" && "$venv/bin/pip" install -q --disable-pip-version-check "${requirements[@]}"; } >&2; then
    echo "validate.sh: could not install the validator into $venv" >&2
    exit 3
  fi
fi

if (($#)); then
  manifests=("$@")
  dockerfile=""
else
  mapfile -t manifests < <(find deploy/k8s -name '*.yaml' ! -name kustomization.yaml | sort)
  dockerfile=deploy/Dockerfile
fi

status=0
"$venv/bin/kubernetes-validate" --strict --quiet -k "$kubernetes" "${manifests[@]}" || status=1

if [ -n "$dockerfile" ]; then
  "$venv/bin/python" - "$dockerfile" <<'PY' || status=1
import sys
from dockerfile_parse import DockerfileParser

path = sys.argv[1]
parser = DockerfileParser(path=path)
instructions = [i for i in parser.structure if i["instruction"] != "COMMENT"]
known = {"FROM", "RUN", "CMD", "LABEL", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
         "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL"}
errors = [f"line {i['startline'] + 1}: unknown instruction {i['instruction']}"
          for i in instructions if i["instruction"] not in known]
if not instructions or instructions[0]["instruction"] not in ("FROM", "ARG"):
    errors.append("does not start with FROM")
last = max(i for i, x in enumerate(instructions) if x["instruction"] == "FROM")
users = [x["value"] for x in instructions[last:] if x["instruction"] == "USER"]
if not users or users[-1].split(":")[0] in ("root", "0"):
    errors.append("the final stage does not switch to a non-root USER")
for error in errors:
    print(f"{path}: {error}", file=sys.stderr)
if errors:
    sys.exit(1)
print(f"{path}: {len(instructions)} instructions, {len(parser.parent_images)} stages, final user {users[-1]}")
PY
fi
exit $status
