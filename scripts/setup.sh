#!/usr/bin/env bash
# Installs the dependencies and builds every package. Safe to run again; fast when nothing changed.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
if [ ! -f node_modules/.modules.yaml ] || [ pnpm-lock.yaml -nt node_modules/.modules.yaml ] || [ package.json -nt node_modules/.modules.yaml ]; then
  pnpm install --frozen-lockfile --config.confirmModulesPurge=false >&2
fi
pnpm run --silent build >&2
