#!/usr/bin/env bash
# Install the local Sigstore stack's npm dependencies from package-lock.json (npm ci), once.
#
# Safe to call from several processes at once: the install runs under an exclusive lock
# (flock on node_modules.lock), and a process that finds the dependencies present after
# taking the lock does nothing. `scripts/test` calls it before the test binary starts, so
# parallel tests never race on one node_modules.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
command -v node >/dev/null || { echo "install.sh: node (>= 20.19) is required" >&2; exit 1; }
command -v npm >/dev/null || { echo "install.sh: npm is required" >&2; exit 1; }

installed() {
    local dep
    for dep in @sigstore/mock oauth2-mock-server @peculiar/x509 asn1js pkijs jose canonicalize reflect-metadata; do
        [[ -f "$here/node_modules/$dep/package.json" ]] || return 1
    done
    [[ -f "$here/node_modules/.hubsign-installed" ]]
}

installed && exit 0
exec 9>"$here/node_modules.lock"
flock 9
installed && exit 0
echo "install.sh: installing npm dependencies (npm ci)" >&2
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error) >&2
touch "$here/node_modules/.hubsign-installed"
