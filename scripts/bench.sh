#!/usr/bin/env bash
# `pnpm bench`: builds @model-signing/hashing and runs the hashing benchmark (scripts/bench/bench.mjs).
# Not part of the test suite. Options: --full (≥ 2 GiB models), --runs N, --only a,b,c,d, --json, --help.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=env.sh
source "$ROOT/scripts/env.sh"
cd "$ROOT"
[ -d node_modules ] || pnpm install --frozen-lockfile >&2
pnpm exec tsc -b packages/hashing packages/cli >&2
node scripts/bundle.mjs manifest hashing cli >&2
node packages/hashing-native/scripts/build.mjs >&2
exec node scripts/bench/bench.mjs "$@"
