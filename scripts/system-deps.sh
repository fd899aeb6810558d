#!/usr/bin/env bash
# Installs the Debian packages the test suite drives (every service it starts listens on 127.0.0.1 only).
# As root or with passwordless sudo it runs apt-get; otherwise, or without apt, it prints one line saying which
# tests cannot run and why, and fails. Run by scripts/test.sh (`npm test`) before anything else.
set -euo pipefail

# package: what needs it
PACKAGES=(
  "build-essential: the native hashing addon and pkcs11js (a C/C++ compiler and make)"
  "python3: node-gyp, which builds those addons"
  "librust-blake3-dev: BLAKE3 in the native hashing addon (the official BLAKE3 C sources)"
  "softhsm2: the PKCS #11 tests (a software token)"
  "opensc: the PKCS #11 tests (pkcs11-tool)"
  "gnutls-bin: the PKCS #11 tests (p11tool)"
  "docker-registry: the OCI tests (a registry on loopback)"
  "skopeo: the OCI tests (images pushed as other tools push them)"
  "apache2-utils: the OCI tests (htpasswd, for a registry with a password)"
  "b3sum: the BLAKE3 tests (independent digests)"
  "openssl: the signature and digest tests (independent checks)"
  "chromium: the browser tests"
)

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]; }

missing=()
needs=()
for entry in "${PACKAGES[@]}"; do
  pkg="${entry%%:*}"
  if ! command -v dpkg-query >/dev/null || ! installed "$pkg"; then
    missing+=("$pkg")
    needs+=("${entry#*: }")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

cannot() {
  local tests
  tests="$(printf '%s; ' "${needs[@]}")"
  echo "system-deps: cannot install ${missing[*]} ($1), so these cannot run: ${tests%; }. Install those Debian packages and run again." >&2
  exit 1
}

command -v apt-get >/dev/null || cannot "no apt-get on this machine"
if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  SUDO=(sudo -n)
else
  cannot "not root, and sudo needs a password"
fi

echo "system-deps: installing ${missing[*]}" >&2
# Another apt or dpkg run holds the lock for a while at most: wait for it rather than fail.
apt=(apt-get -o DPkg::Lock::Timeout=600 -qq)
"${SUDO[@]}" "${apt[@]}" update >&2 || cannot "apt-get update failed"
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" "${apt[@]}" install -y --no-install-recommends "${missing[@]}" >&2 ||
  cannot "apt-get install failed"
