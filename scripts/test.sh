#!/usr/bin/env bash
# The whole test suite, from a machine with only Node.js and npm: the Debian packages the tests drive
# (system-deps.sh, which fails saying which tests cannot run when it cannot install them), set-up (Node 24,
# pnpm, dependencies, build), lint, then every test.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bash scripts/system-deps.sh
bash scripts/setup.sh
echo "== lint (biome)"
pnpm exec biome check .
echo "== typecheck (tests, examples, test support)"
pnpm exec tsc -p tsconfig.test.json
echo "== tests (vitest)"
report="$(mktemp -d)/vitest.json"
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
# One plain closing line, whatever the reporter printed above.
node -e '
  const fs = require("fs");
  if (!fs.existsSync(process.argv[1])) {
    console.log("tests: vitest stopped before writing its report; see the error above");
    process.exit(0);
  }
  const r = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`);
' "$report" || true
exit "$status"
