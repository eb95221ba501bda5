#!/usr/bin/env bash
# The pull-request check on your own machine: what merging HEAD_REF into BASE_REF does to STACK's protection.
#
#   examples/gitops/pr_check.sh BASE_REF HEAD_REF STACK      (run from the project's directory in a git checkout)
#
# Each ref is planned as it stands in git, with its own program, stack file and policy config
# (`python -m components.plan --stack STACK --json` in a copy of that commit, never in your working tree); then the
# protection diff of the two plans is printed as the markdown a pipeline posts on the pull request, weakenings
# accepted by the head's policy config (section protection-diff) shown with their reasons.
# Exit: 0 protection not weakened, 1 weakened or lost, 2 a ref, a plan or the diff could not be used (why on stderr).
# PYTHON is the interpreter with the project's requirements installed (default: python3).
set -euo pipefail

if [ $# -ne 3 ]; then
  echo "usage: $0 BASE_REF HEAD_REF STACK" >&2
  exit 2
fi
base_ref=$1
head_ref=$2
stack=$3
python=${PYTHON:-python3}

if ! top=$(git rev-parse --show-toplevel 2>/dev/null); then
  echo "$0: $(pwd) is not in a git checkout" >&2
  exit 2
fi
project=$(git rev-parse --show-prefix) # the project's directory within the repository ("" at its top)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# plan SIDE REF: plan STACK as it stands at REF into $work/SIDE.json; exit 2 when the ref or the plan cannot be used.
plan() {
  local side=$1 ref=$2 commit code
  if ! commit=$(git -C "$top" rev-parse --verify --quiet "$ref^{commit}"); then
    echo "$side ref $ref: not a commit of $top" >&2
    exit 2
  fi
  mkdir "$work/$side"
  # git archive: the commit's files alone, so nothing of the working tree (edits, untracked files) leaks in
  git -C "$top" archive "$commit" -- "${project:-.}" | tar -x -C "$work/$side"
  code=0
  (cd "$work/$side/$project" && "$python" -m components.plan --stack "$stack" --json) \
    >"$work/$side.json" 2>"$work/$side.err" || code=$?
  if [ "$code" -ge 2 ]; then # 1 is a mandatory finding: the diff shows it
    echo "$side ref $ref: stack $stack cannot be planned:" >&2
    sed 's/^/  /' "$work/$side.err" >&2
    exit 2
  fi
}

plan base "$base_ref"
plan head "$head_ref"

accepted=()
if [ -f "$work/head/$project/policies/config/$stack.json" ]; then
  accepted=(--policy-config "$work/head/$project/policies/config/$stack.json")
fi
cd "$work/head/$project"
"$python" -m components.posture diff --base "$work/base.json" --head "$work/head.json" --format markdown "${accepted[@]}"
