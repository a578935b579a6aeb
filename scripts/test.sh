#!/usr/bin/env bash
# The whole test suite on a fresh machine: dependencies, build, import-cycle
# check, unit tests, then integration tests against the real local stack
# (Kafka, schema registry, Redis), which the run starts and stops itself.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

started=$(date +%s)
npm run --silent lint:cycles
npm run --silent test:unit
npm run --silent test:integration
echo "› whole suite took $(( $(date +%s) - started )) s (after install and build)"
