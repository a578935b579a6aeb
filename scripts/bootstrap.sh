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
  # 'npm ci': exactly the locked versions, and the lock is never rewritten. The
  # lock holds every platform's optional binaries (rollup, esbuild, fsevents;
  # test/repo/lockfile.test.ts checks it), so it works on linux and macOS,
  # x64 and arm64.
  echo "› installing npm dependencies (npm ci from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "› building"
npm run --silent build
