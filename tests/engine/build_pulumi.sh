#!/usr/bin/env bash
# Build the Pulumi CLI, a Python language host and the Pulumi YAML language host from the Go module proxy, once, into a
# cache outside the checkout, and put the scripts the CLI's release ships beside them (pulumi-language-python-exec and
# the dynamic provider shim pulumi-resource-pulumi-python, taken from the Pulumi SDK module, as upstream's release does),
# and gen-nodejs (tests/engine/cli/gen-nodejs: the TypeScript SDK generator of the CLI's pkg/v3, which the CLI cannot run
# without the Node.js language host).
#   Versions: tests/engine/cli/go.mod (github.com/pulumi/pulumi/pkg/v3 and sdk/v3); tests/engine/yaml/go.mod
#             (github.com/pulumi/pulumi-yaml, cmd/pulumi-language-yaml: a module of its own, as it needs the pkg/v3
#             its release was made with; the engine and the language host speak the same protocol across versions).
#   Cache:    $PULUMI_ENGINE_DIR, default ~/.cache/backup-topology/pulumi-<version>; bin/ holds everything.
#   Reused when the cache was built from the same go.mod, go.sum and language host source; gen-nodejs has a stamp of
#   its own (go.mod, go.sum and its source), so a change to it rebuilds it alone.
# Prints the bin directory on the last line of stdout (put it first on PATH).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
MOD="$HERE/cli"
YAML_MOD="$HERE/yaml"
VERSION=$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" {print $2}' "$MOD/go.mod")
[ -n "$VERSION" ] || { echo "build_pulumi: no github.com/pulumi/pulumi/pkg/v3 version in $MOD/go.mod" >&2; exit 1; }
DIR=${PULUMI_ENGINE_DIR:-$HOME/.cache/backup-topology/pulumi-$VERSION}
BIN="$DIR/bin"
YAML_VERSION=$(awk '$1 == "github.com/pulumi/pulumi-yaml" {print $2}' "$YAML_MOD/go.mod")
STAMP=$(cat "$MOD/go.mod" "$MOD/go.sum" "$MOD"/language-python/*.go "$YAML_MOD/go.mod" "$YAML_MOD/go.sum" | sha256sum | cut -c1-16)

need_go() {
  command -v go > /dev/null || { echo "build_pulumi: Go is not installed (https://go.dev/dl/)" >&2; exit 1; }
}

# gen-nodejs, built after the CLI: all but three of its packages are the CLI's, already compiled.
gen_nodejs() {
  local stamp t0
  stamp=$(cat "$MOD/go.mod" "$MOD/go.sum" "$MOD"/gen-nodejs/*.go | sha256sum | cut -c1-16)
  if [ -f "$DIR/gen-nodejs.stamp" ] && [ "$(cat "$DIR/gen-nodejs.stamp")" = "$stamp" ] && [ -x "$BIN/gen-nodejs" ]; then
    echo "gen-nodejs: reused from $DIR" >&2
    return
  fi
  need_go
  rm -f "$DIR/gen-nodejs.stamp"
  t0=$(date +%s)
  (cd "$MOD" && go build -trimpath -o "$BIN/gen-nodejs" ./gen-nodejs)
  echo "$stamp" > "$DIR/gen-nodejs.stamp"
  echo "gen-nodejs: built in $(( $(date +%s) - t0 )) s, into $DIR" >&2
}

if [ -f "$DIR/stamp" ] && [ "$(cat "$DIR/stamp")" = "$STAMP" ] && [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-python" ] \
  && [ -x "$BIN/pulumi-language-yaml" ]; then
  echo "pulumi $("$BIN/pulumi" version), pulumi-language-python $("$BIN/pulumi-language-python" -version) and pulumi-language-yaml $YAML_VERSION: reused from $DIR" >&2
  gen_nodejs
  echo "$BIN"
  exit 0
fi

need_go
mkdir -p "$BIN"
rm -f "$DIR/stamp"
T0=$(date +%s)
LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION"
# The YAML host's modules download while the CLI compiles (the network and the CPU overlap).
(cd "$YAML_MOD" && go mod download) > "$DIR/yaml-download.log" 2>&1 &
YAML_DOWNLOAD=$!
cd "$MOD"
go mod download github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3
go build -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go build -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi-language-python" ./language-python
SDK=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$SDK/python/cmd/pulumi-language-python-exec" "$BIN/"
install -m 0755 "$SDK/python/dist/pulumi-resource-pulumi-python" "$BIN/"
T1=$(date +%s)
wait "$YAML_DOWNLOAD" || { cat "$DIR/yaml-download.log" >&2; exit 1; }
cd "$YAML_MOD"
go build -trimpath -ldflags "-X github.com/pulumi/pulumi-yaml/pkg/version.Version=$YAML_VERSION" \
  -o "$BIN/pulumi-language-yaml" github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml
echo "$STAMP" > "$DIR/stamp"
echo "pulumi $("$BIN/pulumi" version) and pulumi-language-python $("$BIN/pulumi-language-python" -version): built in $(( T1 - T0 )) s, pulumi-language-yaml $YAML_VERSION in $(( $(date +%s) - T1 )) s more, into $DIR" >&2
gen_nodejs
echo "$BIN"
