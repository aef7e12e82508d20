#!/usr/bin/env bash
# `npx projen test:bindings [python] [java] [go]` (docs/bindings.md).
# Builds the jsii bindings with jsii-pacmak and runs one smoke app per language against them:
# each app creates a QueueDrivenSpotWorkerFleet with non-default props, synthesizes it and checks
# the template. Prints one result per check and ends with `N passed, N failed`.
#
# Caches (reused when present, so a warm run needs no downloads):
#   Python  $BINDINGS_CACHE/venv   aws-cdk-lib + constructs from PyPI at package.json's versions
#   Java    ~/.m2/repository       Maven's own cache ($BINDINGS_MAVEN_REPO)
#   Go      $(go env GOMODCACHE)   Go's own module cache
# Also checks that README.md's examples compile (jsii-rosetta strict) and run (Python), and that
# API.md is what jsii-docgen generates from the code.
# Environment: BINDINGS_SKIP_BUILD=1 reuses lib/ and the bundle (scripts/test.sh has just built
# them); BINDINGS_SKIP_PACMAK=1 also reuses dist/ (iterating on a smoke app).
set -uo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export PATH="$root/node_modules/.bin:$PATH"
# jsii prints a banner on every kernel start under an end-of-life Node (20 here); it is noise in
# the smoke output. The variable lists the silenced major versions.
node_major="$(node -p 'process.versions.node.split(".")[0]')"
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="$node_major" JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION="$node_major"
export GOFLAGS=-mod=mod

cache="${BINDINGS_CACHE:-$root/.peers/bindings}"
m2_repo="${BINDINGS_MAVEN_REPO:-$HOME/.m2/repository}"
mkdir -p "$cache"
languages=("$@")
[ ${#languages[@]} -gt 0 ] || languages=(python java go)

pkg() { node -p "require('./package.json').$1"; }
fleet_version="$(pkg version)"
cdk_version="$(pkg 'devDependencies["aws-cdk-lib"]')"
constructs_version="$(pkg 'devDependencies.constructs')"

now() { date +%s; }
step() { echo "== bindings: $*"; }
passed=0
failed=0
pending=$(( ${#languages[@]} + 2 )) # the languages, the README examples and API.md
results=()
record() { # name, rc, seconds
  pending=$((pending - 1))
  if [ "$2" = 0 ]; then passed=$((passed + 1)); results+=("PASS $1 (${3}s)"); else failed=$((failed + 1)); results+=("FAIL $1 (${3}s)"); fi
}
# A setup failure fails every check that has not run yet.
# BINDINGS_REPORT names a file that receives "<passed> <failed>" (scripts/test.sh adds them to its total).
report() { [ -z "${BINDINGS_REPORT:-}" ] || echo "$1 $2" > "$BINDINGS_REPORT"; echo "$1 passed, $2 failed"; }
die() { echo "test:bindings setup failed: $*" >&2; report "$passed" "$((failed + pending))"; exit 1; }

t0=$(now)
if [ "${BINDINGS_SKIP_BUILD:-0}" != 1 ] && [ "${BINDINGS_SKIP_PACMAK:-0}" != 1 ]; then
  step "arm64 worker bundle (the construct ships it as an asset)"
  npx projen bundle:runtime || die "npx projen bundle:runtime failed"
  step "jsii compile"
  npx projen compile || die "jsii compile failed"
fi
[ -f worker-runtime/dist/bundle-arm64/spot-worker.js ] || die "worker-runtime/dist/bundle-arm64 is missing: run npx projen bundle:runtime"

# README examples: TypeScript blocks compile under jsii-rosetta strict mode (which also translates
# them for the bindings' docs and Construct Hub); Python blocks run in the Python smoke step.
step "jsii-rosetta: README TypeScript examples (strict)"
t=$(now)
readme_ts=$(grep -c '^```\(ts\|typescript\)\b' README.md)
if [ "$readme_ts" -gt 0 ]; then
  echo "$readme_ts TypeScript block(s) in README.md"
  jsii-rosetta extract --strict
else
  echo "FAIL README.md has no \`\`\`ts example"; false
fi
record readme-examples $? $(( $(now) - t ))

# API.md (Construct Hub's API reference is generated the same way) must match the code.
step "jsii-docgen: API.md is current"
t=$(now)
api_tmp="$(mktemp -d)"
if jsii-docgen -o "$api_tmp/API.md" && cmp -s "$api_tmp/API.md" API.md; then
  echo "API.md matches the assembly"; true
else
  echo "FAIL API.md is missing or stale: run npx projen docgen and commit API.md"; false
fi
record api-md $? $(( $(now) - t ))
rm -rf "$api_tmp"

if [ "${BINDINGS_SKIP_PACMAK:-0}" != 1 ]; then
  step "jsii-pacmak: python, java"
  t=$(now)
  rm -rf dist/python dist/java dist/go dist/js
  jsii-pacmak --target python --target java || die "jsii-pacmak (python, java) failed"
  # Go: pacmak's own check runs `go mod tidy` on the generated module, which needs aws-cdk-go at
  # exactly the peer version; the smoke app below compiles the generated package instead.
  step "jsii-pacmak: go (code only; compiled by the Go smoke app)"
  jsii-pacmak --target go --code-only || die "jsii-pacmak (go) failed"
  echo "pacmak took $(( $(now) - t ))s"
fi

# The bundle must travel inside the jsii tarball every binding embeds, or synth fails in that language.
tarball="$(ls dist/go/*/jsii/*.tgz 2>/dev/null | head -1)"
[ -n "$tarball" ] || die "no jsii tarball under dist/go"
# (grep reads the whole listing: with pipefail, `grep -q` would make tar fail on SIGPIPE)
tar tzf "$tarball" | grep -c '^package/worker-runtime/dist/bundle-arm64/spot-worker.js$' >/dev/null \
  || die "the jsii tarball $tarball does not contain worker-runtime/dist/bundle-arm64/spot-worker.js (check .npmignore)"

smoke_python() {
  local venv="$cache/venv" stamp="$cache/venv/.cdk-$cdk_version-constructs-$constructs_version"
  if [ ! -f "$stamp" ]; then
    echo "creating $venv with aws-cdk-lib==$cdk_version constructs==$constructs_version"
    rm -rf "$venv" && python3 -m venv "$venv" || return 1
    "$venv/bin/pip" install --quiet --disable-pip-version-check \
      "aws-cdk-lib==$cdk_version" "constructs==$constructs_version" || return 1
    touch "$stamp"
  fi
  # Reinstall the freshly built wheel (same version every build); its other requirements are
  # already satisfied by the venv or come from PyPI.
  "$venv/bin/pip" uninstall --quiet --yes cdk-spot-worker-fleet >/dev/null 2>&1
  "$venv/bin/pip" install --quiet --disable-pip-version-check dist/python/*.whl || return 1
  "$venv/bin/python" bindings-smoke/python/smoke.py || return 1
  "$venv/bin/python" bindings-smoke/python/readme_examples.py README.md
}

smoke_java() {
  # Maven never re-fetches a release it already holds, so drop last build's copy of our jar.
  rm -rf "$m2_repo/io/github/cdkspotworkerfleet/cdk-spot-worker-fleet/$fleet_version"
  (cd bindings-smoke/java && mvn -B -q -Dstyle.color=never -Dmaven.repo.local="$m2_repo" \
    -Dfleet.version="$fleet_version" -Dcdk.version="$cdk_version" -Dconstructs.version="$constructs_version" \
    -Dfleet.repo="file://$root/dist/java" \
    compile exec:java)
}

smoke_go() {
  # go.mod points at dist/go and pins the AWS CDK module versions the Go proxy serves here.
  (cd bindings-smoke/go && go run .)
}

for lang in "${languages[@]}"; do
  case "$lang" in
    python|java|go) ;;
    *) die "unknown language '$lang' (python, java, go)";;
  esac
  step "$lang smoke app"
  t=$(now)
  "smoke_$lang"
  record "$lang" $? $(( $(now) - t ))
done

step "results (total $(( $(now) - t0 ))s)"
printf '%s\n' "${results[@]}"
report "$passed" "$failed"
[ "$failed" = 0 ]
