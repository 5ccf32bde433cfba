#!/usr/bin/env bash
# Starts nats-server with JetStream on 127.0.0.1 in the foreground, as the tests do, for manual
# runs: `infra/test-servers/nats.sh [PORT] [STORE_DIR]`, stop with Ctrl-C. Then point a worker at
# it with `nats://127.0.0.1:PORT`. Needs the Debian package nats-server.
set -euo pipefail
port="${1:-4222}"
store="${2:-$(mktemp -d "${TMPDIR:-/tmp}/signalbox-nats-XXXXXX")}"
echo "nats-server on nats://127.0.0.1:${port}, JetStream store in ${store}" >&2
exec nats-server -a 127.0.0.1 -p "${port}" -js -sd "${store}"
