#!/usr/bin/env bash
# The project's test command (README: `npx projen test:all`).
# Installs the peers under .peers/ (reused when present), builds the worker runtime and its
# arm64 bundle, compiles the jsii library, runs every jest suite and eslint, and ends with
# a plain `N passed, N failed, N skipped` line.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/node_modules/.bin:$PATH"

step() { echo "== $*"; }
fail_setup() { echo "test setup failed: $*" >&2; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

step "peers (.peers/)"
peer_env="$(bash scripts/peers.sh)" || fail_setup "installing peers"
eval "$peer_env"

step "worker runtime (worker-runtime/lib), arm64 bundle and x64 bundle (worker-runtime/dist)"
npx projen build:runtime || fail_setup "worker runtime did not compile"
npx projen bundle:runtime || fail_setup "arm64 bundle did not build"
# The boot proof (test/integration/boot, docs/boot.md) deploys the x64 build to its x64 stand-in instance.
if [ "$(uname -m)" = x86_64 ]; then
  node worker-runtime/scripts/build-bundle.mjs --cpu x64 || fail_setup "x64 bundle (boot proof) did not build"
fi

step "jsii compile"
npx projen compile || fail_setup "jsii compile failed"

step "jest"
mkdir -p test-reports
jest --ci --coverage=false --json --outputFile=test-reports/jest.json "$@"
jest_rc=$?

step "type check (tsc -p tsconfig.dev.json: src, runtime, tests, examples, bench; jest only transpiles)"
tsc -p tsconfig.dev.json --noEmit
types_rc=$?

step "eslint"
npx projen eslint
lint_rc=$?

step "bindings: Python, Java, Go smoke apps, README examples, API.md (docs/bindings.md)"
rm -f test-reports/bindings.txt
BINDINGS_SKIP_BUILD=1 BINDINGS_REPORT=test-reports/bindings.txt bash scripts/test-bindings.sh
bindings_rc=$?

node scripts/summarize-tests.js test-reports/jest.json test-reports/bindings.txt "$types_rc" "$lint_rc"
[ "$jest_rc" = 0 ] && [ "$types_rc" = 0 ] && [ "$lint_rc" = 0 ] && [ "$bindings_rc" = 0 ]
