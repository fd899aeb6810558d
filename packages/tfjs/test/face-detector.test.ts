import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { verifiedWeights } from '@model-signing/tfjs';
import type { VerificationError } from '@model-signing/verifying';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliWithKey, publisherKey, tempDir } from './helpers.js';

// face-api's Node build for pure-JavaScript TF.js: it uses the @tensorflow/tfjs installed beside it (the same
// engine as ours) and needs no native binary; the CPU backend below is plain JavaScript.
// Its type declarations carry their own copy of TF.js's types, so the part used here is declared against ours.
interface TinyFaceDetector {
  loadFromDisk(dir: string): Promise<void>;
  loadFromWeightMap(weights: tf.NamedTensorMap): void;
  forward(input: tf.Tensor4D, inputSize: number): Promise<tf.Tensor4D>;
  detect(input: tf.Tensor3D, options: object): Promise<{ score: number; box: object }[]>;
}
interface FaceApi {
  TinyFaceDetector: new () => TinyFaceDetector;
  TinyFaceDetectorOptions: new (options: { inputSize: number; scoreThreshold: number }) => object;
}
const require = createRequire(import.meta.url);
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js') as FaceApi;
const jpeg = require('jpeg-js') as typeof import('jpeg-js');

const FACE_API = path.dirname(require.resolve('@vladmandic/face-api/package.json'));
const MANIFEST = 'tiny_face_detector_model-weights_manifest.json';
const WEIGHTS = 'tiny_face_detector_model.bin';

const { dir: work, cleanup } = tempDir();
const keys = publisherKey();
const modelDir = path.join(work, 'tiny-face-detector');
// Loaded by face-api itself from the files it ships: the reference the verified load must reproduce.
const reference = new faceapi.TinyFaceDetector();

function copyModel(to: string): string {
  mkdirSync(to, { recursive: true });
  for (const file of [MANIFEST, WEIGHTS])
    copyFileSync(path.join(FACE_API, 'model', file), path.join(to, file));
  return to;
}

// A fixed 128×128 RGB pattern, pixel values 0…255 as face-api expects.
function patternInput(): tf.Tensor4D {
  return tf.tidy(
    () =>
      tf
        .range(0, 128 * 128 * 3)
        .mul(7)
        .mod(256)
        .reshape([1, 128, 128, 3]) as tf.Tensor4D,
  );
}

function photo(): tf.Tensor3D {
  const image = jpeg.decode(readFileSync(path.join(FACE_API, 'demo/sample2.jpg')), {
    useTArray: true,
    formatAsRGBA: false,
  });
  return tf.tensor3d(image.data, [image.height, image.width, 3], 'int32');
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await reference.loadFromDisk(path.join(FACE_API, 'model'));
  copyModel(modelDir);
  // Signed as a user would, with the command line; loaded with the library.
  const cli = await cliWithKey('sign', keys.privatePem, modelDir, work);
  expect(cli).toMatchObject({ code: 0 });
});
afterEach(() => vi.restoreAllMocks());
afterAll(cleanup);

describe('the TF.js tiny face detector of @vladmandic/face-api', () => {
  it('loads only verified weights and predicts exactly what face-api’s own loader predicts', async () => {
    const decode = vi.spyOn(tf.io, 'decodeWeights');
    const weights = await verifiedWeights(modelDir, { verifying: keys.verifying, weightsManifest: MANIFEST });
    expect(decode).toHaveBeenCalledTimes(1);
    const net = new faceapi.TinyFaceDetector();
    net.loadFromWeightMap(weights);

    const input = patternInput();
    const [output, expected] = await Promise.all([net.forward(input, 128), reference.forward(input, 128)]);
    expect(output.shape).toEqual([1, 4, 4, 25]);
    const values = Array.from(output.dataSync());
    expect(values.every(Number.isFinite)).toBe(true);
    expect(values).toEqual(Array.from(expected.dataSync()));

    const image = photo();
    const options = new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 });
    const [faces, expectedFaces] = await Promise.all([
      net.detect(image, options),
      reference.detect(image, options),
    ]);
    expect(faces.length).toBeGreaterThanOrEqual(1);
    expect(faces.map((face) => [face.score, face.box])).toEqual(
      expectedFaces.map((face) => [face.score, face.box]),
    );
    tf.dispose([input, output, expected, image]);
  });

  it('refuses a weights file changed by one byte before TF.js decodes any weight', async () => {
    const tampered = copyModel(path.join(work, 'tampered', 'tiny-face-detector'));
    copyFileSync(path.join(modelDir, 'model.sig'), path.join(tampered, 'model.sig'));
    const bytes = readFileSync(path.join(tampered, WEIGHTS));
    bytes[1000] = (bytes[1000]! + 1) % 256;
    writeFileSync(path.join(tampered, WEIGHTS), bytes);

    const decode = vi.spyOn(tf.io, 'decodeWeights');
    const error = (await verifiedWeights(tampered, {
      verifying: keys.verifying,
      weightsManifest: MANIFEST,
    }).catch((e: unknown) => e)) as VerificationError;
    expect(error).toMatchObject({ name: 'VerificationError', code: 'MODEL_MISMATCH' });
    expect(error.details?.mismatched.map((m) => m.name)).toEqual([WEIGHTS]);
    expect(decode).not.toHaveBeenCalled();
  });
});
