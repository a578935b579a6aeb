#!/usr/bin/env bash
# The README demo: brings up the local stack (downloading Kafka, the schema
# registry and Redis the first time), runs the detector and the notifier on a
# simulated morning of API traffic with attacks (services/demo), and stops
# what it started.
set -euo pipefail
# shellcheck source=scripts/bootstrap.sh
source "$(dirname "${BASH_SOURCE[0]}")/bootstrap.sh"

stack="$repo/deploy/local/stack.sh"
was_up=0
if bash "$stack" status >/dev/null 2>&1; then was_up=1; fi
if [ "$was_up" -eq 0 ]; then
  bash "$stack" up
  trap 'bash "$stack" down' EXIT
fi
# The addresses go to the demo only: exported here, they would make the
# EXIT trap's `down` take the stack for an external one and leave it running.
# shellcheck disable=SC2046
env $(bash "$stack" env | sed 's/^export //' | xargs) node services/demo/dist/main.js
