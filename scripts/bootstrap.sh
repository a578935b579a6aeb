#!/usr/bin/env bash
# Sourced by demo.sh and test.sh: checks Node, installs npm dependencies when
# they are missing or older than package-lock.json, and builds the workspaces.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

if ! command -v node >/dev/null 2>&1; then
  echo "vigil needs Node.js 20 or 22 (node was not found on PATH)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" -lt 20 ]; then
  echo "vigil needs Node.js 20 or newer; this is $(node --version)" >&2
  exit 1
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # 'npm install', not 'npm ci': the lock file is made on linux-x64 against a
  # registry that may not serve every platform's optional packages (rollup,
  # esbuild), and 'npm ci' refuses a lock without them. With the lock present,
  # 'npm install' installs the locked versions.
  echo "› installing npm dependencies (npm install from package-lock.json)"
  npm install --no-audit --no-fund --loglevel=error
fi

echo "› building"
npm run --silent build
