#!/usr/bin/env bash
# A release of every @model-signing package. Usage: scripts/release.sh [--dry-run | --publish]
#
# Builds, packs every package into release/ (pnpm pack: workspace ranges become versions, the prebuilt hashing
# addon is made), installs and uses exactly those tarballs (packages/cli/test/npm-install.test.ts), and only
# then publishes them, dependencies first, with npm provenance. --dry-run (the default) shows what would be
# published and publishes nothing; --publish is meant for CI, where npm can sign the provenance.
# Versions and CHANGELOGs come from the changesets in .changeset/: apply them first with
# `pnpm exec changeset version`, review, commit; a release with pending changesets is refused.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"

mode="--dry-run"
case "${1:-}" in
  "" | --dry-run) ;;
  --publish) mode="" ;;
  *) echo "usage: scripts/release.sh [--dry-run | --publish]" >&2; exit 2 ;;
esac


pending=$(find .changeset -maxdepth 1 -name '*.md' ! -name README.md | wc -l)
if [ "$pending" -gt 0 ]; then
  if [ -z "$mode" ]; then
    echo "release: $pending pending changeset(s): run \`pnpm exec changeset version\`, review and commit, then publish" >&2
    exit 1
  fi
  echo "== pending changesets (a real release applies them first with \`pnpm exec changeset version\`)"
  pnpm exec changeset status
fi

# A clean build: dist/ keeps the output of sources that were moved or deleted, which would be published too.
rm -rf packages/*/dist
bash scripts/setup.sh
# The published packages, dependencies before their dependents (pnpm's order), so that no published package
# names one that is not there yet.
mapfile -t DIRS < <(pnpm -r --workspace-concurrency=1 --filter './packages/*' exec node -e \
  'const p = require("./package.json"); if (!p.private) console.log(process.cwd())')
rm -rf release
mkdir -p release
echo "== pack"
TARBALLS=()
for dir in "${DIRS[@]}"; do
  (cd "$dir" && pnpm pack --pack-destination "$ROOT/release" >/dev/null)
  TARBALLS+=("$ROOT/release/$(cd "$dir" && node -p 'const p = require("./package.json"); `${p.name.slice(1).replace("/", "-")}-${p.version}.tgz`')")
done
ls -l release

echo "== install and use the tarballs"
MODEL_SIGNING_PACKED_DIR="$ROOT/release" pnpm exec vitest run packages/cli/test/npm-install.test.ts

echo "== publish${mode:+ ($mode)}"
for tarball in "${TARBALLS[@]}"; do
  npm publish ${mode:+"$mode"} --access public --provenance "$tarball"
done
[ -n "$mode" ] || pnpm exec changeset tag
