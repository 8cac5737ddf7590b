#!/usr/bin/env bash
# Start the local Sigstore stack (OIDC issuer, Fulcio, Rekor v1, TSA on 127.0.0.1) in
# the background and print its PID on stdout once OUTDIR/trust_config.json exists.
#
# Usage: tests/sigstore-stack/start.sh OUTDIR [--port-base N] [--ttl SECONDS]
#
# Installs the npm dependencies first (install.sh: npm ci under a lock, once).
# The server's log goes to OUTDIR/stack.log. Stop it with: kill <PID>.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:?usage: start.sh OUTDIR [--port-base N] [--ttl SECONDS]}"
shift

command -v node >/dev/null || { echo "start.sh: node (>= 20.19) is required" >&2; exit 1; }

"$here/install.sh"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
rm -f "$out/trust_config.json"

nohup node "$here/server.mjs" "$out" "$@" >"$out/stack.log" 2>&1 </dev/null &
pid=$!

# Wait up to 30 s for the server to write its configuration (it does so last).
for _ in $(seq 1 300); do
    if [[ -f "$out/trust_config.json" ]]; then
        echo "$pid"
        exit 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
        echo "start.sh: the stack exited during start-up:" >&2
        cat "$out/stack.log" >&2
        exit 1
    fi
    sleep 0.1
done
echo "start.sh: the stack did not start within 30 s:" >&2
cat "$out/stack.log" >&2
kill "$pid" 2>/dev/null || true
exit 1
