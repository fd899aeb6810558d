#!/usr/bin/env bash
# The main job on a real model: sign the TF.js tiny face detector (shipped in @vladmandic/face-api) with a
# fresh P-256 key, then verify it. Everything happens in a temporary folder.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$ROOT"
bash scripts/setup.sh
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
model="$work/tiny_face_detector"
mkdir -p "$model"
cp node_modules/@vladmandic/face-api/model/tiny_face_detector_model* "$model/"
bin=node_modules/.bin/model-signing
node -e '
  const { generateKeyPairSync } = require("node:crypto");
  const fs = require("node:fs");
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  fs.writeFileSync(process.argv[1], privateKey.export({ type: "pkcs8", format: "pem" }));
  fs.writeFileSync(process.argv[2], publicKey.export({ type: "spki", format: "pem" }));
' "$work/key.pem" "$work/key.pub.pem"
run() { echo "\$ model-signing ${*:2}" | sed "s#$work/##g"; "$@"; }
echo "Model: the TF.js tiny face detector ($(ls "$model" | tr '\n' ' '))"
run "$bin" digest "$model"
run "$bin" sign key --private-key "$work/key.pem" --signature "$model/model.sig" "$model"
run "$bin" verify key --public-key "$work/key.pub.pem" --signature "$model/model.sig" "$model"
echo "# one byte appended to the weights: verification must fail and say which file"
printf 'x' >> "$model/tiny_face_detector_model.bin"
if run "$bin" verify key --public-key "$work/key.pub.pem" --signature "$model/model.sig" "$model"; then
  echo "demo: verification of a tampered model succeeded" >&2
  exit 1
fi
echo "Demo done: signed, verified, and the tampered copy was refused."
