import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const tf = require('@tensorflow/tfjs');
const faceapi = require('@vladmandic/face-api/dist/face-api.node-wasm.js');
const jpeg = require('jpeg-js');
await tf.setBackend('cpu');
const dir = require.resolve('@vladmandic/face-api/package.json').replace('package.json', 'model');
const net = new faceapi.TinyFaceDetector();
await net.loadFromDisk(dir);
for (const f of ['sample1.jpg', 'sample2.jpg', 'sample3.jpg']) {
  const img = jpeg.decode(readFileSync(dir + '/../demo/' + f), { useTArray: true, formatAsRGBA: false });
  const t = tf.tensor3d(img.data, [img.height, img.width, 3], 'int32');
  const dets = await net.detect(
    t,
    new faceapi.TinyFaceDetectorOptions({ inputSize: 416, scoreThreshold: 0.5 }),
  );
  console.log(
    f,
    img.width,
    img.height,
    dets.length,
    dets.map((d) => d.score.toFixed(3) + ' ' + JSON.stringify(d.box)).slice(0, 3),
  );
}
