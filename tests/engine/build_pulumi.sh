#!/usr/bin/env bash
# Build the Pulumi CLI and a Python language host from the Go module proxy, once, into a cache outside the checkout,
# and put the scripts the CLI's release ships beside them (pulumi-language-python-exec and the dynamic provider shim
# pulumi-resource-pulumi-python, taken from the Pulumi SDK module, as upstream's release does).
#   Versions: tests/engine/cli/go.mod (github.com/pulumi/pulumi/pkg/v3 and sdk/v3).
#   Cache:    $PULUMI_ENGINE_DIR, default ~/.cache/backup-topology/pulumi-<version>; bin/ holds everything.
#   Reused when the cache was built from the same go.mod, go.sum and language host source.
# Prints the bin directory on the last line of stdout (put it first on PATH).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
MOD="$HERE/cli"
VERSION=$(awk '$1 == "github.com/pulumi/pulumi/pkg/v3" {print $2}' "$MOD/go.mod")
[ -n "$VERSION" ] || { echo "build_pulumi: no github.com/pulumi/pulumi/pkg/v3 version in $MOD/go.mod" >&2; exit 1; }
DIR=${PULUMI_ENGINE_DIR:-$HOME/.cache/backup-topology/pulumi-$VERSION}
BIN="$DIR/bin"
STAMP=$(cat "$MOD/go.mod" "$MOD/go.sum" "$MOD"/language-python/*.go | sha256sum | cut -c1-16)

if [ -f "$DIR/stamp" ] && [ "$(cat "$DIR/stamp")" = "$STAMP" ] && [ -x "$BIN/pulumi" ] && [ -x "$BIN/pulumi-language-python" ]; then
  echo "pulumi $("$BIN/pulumi" version) and pulumi-language-python $("$BIN/pulumi-language-python" -version): reused from $DIR" >&2
  echo "$BIN"
  exit 0
fi

command -v go > /dev/null || { echo "build_pulumi: Go is not installed (https://go.dev/dl/)" >&2; exit 1; }
mkdir -p "$BIN"
rm -f "$DIR/stamp"
T0=$(date +%s)
LDFLAGS="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$VERSION"
cd "$MOD"
go mod download github.com/pulumi/pulumi/pkg/v3 github.com/pulumi/pulumi/sdk/v3
go build -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
go build -trimpath -ldflags "$LDFLAGS" -o "$BIN/pulumi-language-python" ./language-python
SDK=$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)
install -m 0755 "$SDK/python/cmd/pulumi-language-python-exec" "$BIN/"
install -m 0755 "$SDK/python/dist/pulumi-resource-pulumi-python" "$BIN/"
echo "$STAMP" > "$DIR/stamp"
echo "pulumi $("$BIN/pulumi" version) and pulumi-language-python $("$BIN/pulumi-language-python" -version): built in $(( $(date +%s) - T0 )) s into $DIR" >&2
echo "$BIN"
