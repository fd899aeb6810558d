import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import * as hashing from '@model-signing/hashing';
import { Config as SigningConfig } from '@model-signing/signing';
import { signedSave, TfjsModelError, VerifiedModel, verifiedLoad } from '@model-signing/tfjs';
import * as verifying from '@model-signing/verifying';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cliWithKey, publisherKey, signedResources, tempDir } from './helpers.js';

const { dir: work, cleanup } = tempDir();
const keys = publisherKey();
let counter = 0;
const fresh = (name: string) => path.join(work, `${name}-${++counter}`);

beforeAll(() => tf.setBackend('cpu'));
afterEach(() => vi.restoreAllMocks());
afterAll(cleanup);

function tinyModel(): tf.Sequential {
  const model = tf.sequential();
  model.add(tf.layers.dense({ units: 8, inputShape: [3], activation: 'relu' }));
  model.add(tf.layers.dense({ units: 2 }));
  return model;
}

const INPUT = [
  [0.5, -1, 2],
  [3, 0.25, -0.75],
];

function predict(model: tf.LayersModel | tf.GraphModel): number[][] {
  return tf.tidy(() => (model.predict(tf.tensor2d(INPUT)) as tf.Tensor2D).arraySync());
}

function sha256sum(file: string): string {
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
}

// A tf.GraphModel needs a converted TensorFlow graph: this one is y = x * w, with w a 3-vector weight.
async function tinyGraphModel(): Promise<tf.GraphModel> {
  const modelTopology = {
    node: [
      {
        name: 'x',
        op: 'Placeholder',
        attr: { dtype: { type: 'DT_FLOAT' }, shape: { shape: { dim: [{ size: '-1' }, { size: '3' }] } } },
      },
      {
        name: 'w',
        op: 'Const',
        attr: {
          value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: [{ size: '3' }] } } },
          dtype: { type: 'DT_FLOAT' },
        },
      },
      { name: 'y', op: 'Mul', input: ['x', 'w'], attr: { T: { type: 'DT_FLOAT' } } },
    ],
    versions: { producer: 1 },
  };
  return tf.loadGraphModel(
    tf.io.fromMemory({
      modelTopology,
      format: 'graph-model',
      weightSpecs: [{ name: 'w', shape: [3], dtype: 'float32' }],
      weightData: new Float32Array([2, -3, 0.5]).buffer,
    }),
  );
}

describe('signedSave', () => {
  it('writes the TF.js layout, signs exactly the bytes written, and round-trips a layers model', async () => {
    const model = tinyModel();
    const before = predict(model);
    const dir = fresh('layers');
    await model.save(signedSave(dir, { signing: keys.signing }));

    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json', 'model.sig']);
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    expect(json.format).toBe('layers-model');
    expect(json.weightsManifest[0].paths).toEqual(['group1-shard1of1.bin']);
    // 3×8 + 8 + 8×2 + 2 float32 weights.
    expect(readFileSync(path.join(dir, 'group1-shard1of1.bin')).byteLength).toBe(50 * 4);
    expect(signedResources(readFileSync(path.join(dir, 'model.sig'), 'utf8'))).toEqual({
      'group1-shard1of1.bin': sha256sum(path.join(dir, 'group1-shard1of1.bin')),
      'model.json': sha256sum(path.join(dir, 'model.json')),
    });
    // Nothing is left beside the model.
    expect(readdirSync(work).filter((name) => name.includes('.saving-'))).toEqual([]);

    const loaded = await tf.loadLayersModel(verifiedLoad(dir, { verifying: keys.verifying }));
    expect(predict(loaded)).toEqual(before);

    // The command line verifies the saved model as it is, its signature inside it.
    const cli = await cliWithKey('verify', keys.publicPem, dir, work);
    expect(cli).toMatchObject({ code: 0, stderr: '' });
  });

  it('writes files that TF.js’s own HTTP loader reads as the same model', async () => {
    const model = tinyModel();
    const dir = fresh('served');
    await model.save(signedSave(dir, { signing: keys.signing, weightShardSize: 100 }));
    const server = createServer((request, response) => {
      const name = path.basename(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
      if (!existsSync(path.join(dir, name))) return void response.writeHead(404).end();
      response.writeHead(200).end(readFileSync(path.join(dir, name)));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const loaded = await tf.loadLayersModel(`http://127.0.0.1:${port}/model.json`);
      expect(predict(loaded)).toEqual(predict(model));
    } finally {
      server.close();
    }
  });

  it('cuts the weights into converter-style shards and verifies shard-serialized signatures', async () => {
    const model = tinyModel();
    const dir = fresh('sharded');
    const signing = new SigningConfig()
      .setHashingConfig(new hashing.Config().useShardSerialization({ shardSize: 48 }))
      .useEllipticKeySigner({ privateKey: keys.privatePem });
    await model.save(signedSave(dir, { signing, weightShardSize: 64 }));
    const shards = [
      'group1-shard1of4.bin',
      'group1-shard2of4.bin',
      'group1-shard3of4.bin',
      'group1-shard4of4.bin',
    ];
    expect(readdirSync(dir).sort()).toEqual([...shards, 'model.json', 'model.sig']);
    expect(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths).toEqual(
      shards,
    );

    const loaded = await tf.loadLayersModel(verifiedLoad(dir, { verifying: keys.verifying }));
    expect(predict(loaded)).toEqual(predict(model));
  });

  it('takes weights handed over as a stream', async () => {
    const model = tinyModel();
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        artifacts = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
      }),
    );
    const { weightData, ...rest } = artifacts!;
    const bytes = new Uint8Array(weightData as ArrayBuffer);
    const dir = fresh('streamed');
    await signedSave(dir, { signing: keys.signing }).save!({
      ...rest,
      getWeightStream: () => new Blob([bytes]).stream() as unknown as ReadableStream<ArrayBuffer>,
    });
    expect(readFileSync(path.join(dir, 'group1-shard1of1.bin')).equals(bytes)).toBe(true);
    const loaded = await tf.loadLayersModel(verifiedLoad(dir, { verifying: keys.verifying }));
    expect(predict(loaded)).toEqual(predict(model));
  });

  it('round-trips a graph model, its signature under another name', async () => {
    const model = await tinyGraphModel();
    const dir = fresh('graph');
    await model.save(signedSave(dir, { signing: keys.signing, signatureFile: 'graph.sig' }));
    expect(readdirSync(dir).sort()).toEqual(['graph.sig', 'group1-shard1of1.bin', 'model.json']);
    expect(JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')).format).toBe('graph-model');

    const signature = path.join(dir, 'graph.sig');
    const loaded = await tf.loadGraphModel(verifiedLoad(dir, { verifying: keys.verifying, signature }));
    expect(predict(loaded)).toEqual([
      [1, 3, 1],
      [6, -0.75, -0.375],
    ]);
  });

  it('leaves no model, and nothing beside it, when signing fails', async () => {
    const dir = fresh('unsigned');
    const failing = new SigningConfig().useSigner(async () => {
      throw new Error('the signing key is unavailable');
    });
    await expect(tinyModel().save(signedSave(dir, { signing: failing }))).rejects.toThrow(
      'the signing key is unavailable',
    );
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(work).filter((name) => name.includes('.saving-'))).toEqual([]);
  });

  it('says in one line where a model cannot be written', async () => {
    const file = fresh('a-file');
    writeFileSync(file, 'not a directory');
    const error = await tinyModel()
      .save(signedSave(path.join(file, 'model'), { signing: keys.signing }))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'TfjsModelError', code: 'WRITE_FAILED' });
    expect((error as Error).message).toMatch(
      /^Cannot create a staging directory beside .*a-file-\d+\/model: E[A-Z]+: /,
    );
    expect((error as Error).message).not.toContain('\n');
  });

  it('refuses to replace an existing directory unless asked, and then replaces it whole', async () => {
    const dir = fresh('existing');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'notes.txt'), 'keep me');
    const error = await tinyModel()
      .save(signedSave(dir, { signing: keys.signing }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TfjsModelError);
    expect(error).toMatchObject({ code: 'TARGET_EXISTS' });
    expect(readdirSync(dir)).toEqual(['notes.txt']);

    await tinyModel().save(signedSave(dir, { signing: keys.signing, overwrite: true }));
    expect(readdirSync(dir).sort()).toEqual(['group1-shard1of1.bin', 'model.json', 'model.sig']);
    await expect(tf.loadLayersModel(verifiedLoad(dir, { verifying: keys.verifying }))).resolves.toBeDefined();
  });
});

describe('verifiedLoad', () => {
  async function savedModel(name: string): Promise<string> {
    const dir = fresh(name);
    await tinyModel().save(signedSave(dir, { signing: keys.signing }));
    return dir;
  }

  function flipByte(file: string, at: number): Buffer {
    const bytes = readFileSync(file);
    bytes[at] = (bytes[at]! + 1) % 256;
    return bytes;
  }

  // What TF.js would parse: the model.json (through getModelArtifactsForJSON) and the weights.
  function spyOnParsing() {
    return [vi.spyOn(tf.io, 'getModelArtifactsForJSON'), vi.spyOn(tf.io, 'decodeWeights')];
  }

  it('refuses a weights file changed by one byte before TF.js parses anything', async () => {
    const dir = await savedModel('tampered-weights');
    const weights = path.join(dir, 'group1-shard1of1.bin');
    writeFileSync(weights, flipByte(weights, 17));
    const spies = spyOnParsing();
    const error = await tf
      .loadLayersModel(verifiedLoad(dir, { verifying: keys.verifying }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(verifying.VerificationError);
    expect(error).toMatchObject({ code: 'MODEL_MISMATCH' });
    expect((error as verifying.VerificationError).detailLines()[0]).toMatch(
      /^Hash mismatch: group1-shard1of1\.bin:/,
    );
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a model signed by another key', async () => {
    const dir = await savedModel('other-key');
    const spies = spyOnParsing();
    const error = await tf
      .loadLayersModel(verifiedLoad(dir, { verifying: publisherKey().verifying }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(verifying.VerificationError);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it.each([
    { serialization: 'files', change: 'one byte changed' },
    { serialization: 'shards', change: 'one byte changed' },
    { serialization: 'shards', change: 'one byte appended' },
  ] as const)(
    'refuses a weights file replaced after the verification ($serialization, $change)',
    async (c) => {
      const dir = fresh('swapped');
      const hashingConfig =
        c.serialization === 'shards'
          ? new hashing.Config().useShardSerialization({ shardSize: 48 })
          : new hashing.Config();
      const signing = new SigningConfig()
        .setHashingConfig(hashingConfig)
        .useEllipticKeySigner({ privateKey: keys.privatePem });
      await tinyModel().save(signedSave(dir, { signing }));
      const weights = path.join(dir, 'group1-shard1of1.bin');
      const swapped =
        c.change === 'one byte changed'
          ? flipByte(weights, 60)
          : Buffer.concat([readFileSync(weights), Buffer.of(0)]);
      // The verification passes on the signed file; the file is replaced before the weights are read.
      class SwappingConfig extends verifying.Config {
        override async verify(model: string, signature: string): Promise<verifying.VerificationResult> {
          const result = await super.verify(model, signature);
          writeFileSync(weights, swapped);
          return result;
        }
      }
      const config = new SwappingConfig().useEllipticKeyVerifier({ publicKey: keys.publicPem });
      const decode = vi.spyOn(tf.io, 'decodeWeights');
      const error = await tf
        .loadLayersModel(verifiedLoad(dir, { verifying: config }))
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(verifying.VerificationError);
      expect(error).toMatchObject({ code: 'MODEL_MISMATCH' });
      expect((error as Error).message).toMatch(/^group1-shard1of1\.bin changed after the model was verified/);
      expect(decode).not.toHaveBeenCalled();
    },
  );

  it('hands out only files the signature covers', async () => {
    const dir = await savedModel('unsigned-file');
    writeFileSync(path.join(dir, 'extra.bin'), 'not signed');
    const tolerant = new verifying.Config()
      .setIgnoreUnsignedFiles(true)
      .useEllipticKeyVerifier({ publicKey: keys.publicPem });
    const model = await VerifiedModel.open(dir, { verifying: tolerant });
    expect(
      Buffer.from(await model.read('./model.json')).equals(readFileSync(path.join(dir, 'model.json'))),
    ).toBe(true);
    await expect(model.read('extra.bin')).rejects.toMatchObject({
      name: 'VerificationError',
      code: 'MODEL_MISMATCH',
      message: 'extra.bin is not one of the files the signature covers; sign the model again with it',
    });
    await expect(model.read('model.sig')).rejects.toMatchObject({ code: 'MODEL_MISMATCH' });
  });

  it('refuses a signed model.json that points outside the model directory', async () => {
    const dir = await savedModel('escaping');
    const json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8'));
    json.weightsManifest[0].paths = ['../outside.bin'];
    writeFileSync(path.join(dir, 'model.json'), JSON.stringify(json));
    await keys.signing.sign(dir, path.join(dir, 'model.sig'));
    const error = await tf
      .loadLayersModel(verifiedLoad(dir, { verifying: keys.verifying }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TfjsModelError);
    expect(error).toMatchObject({ code: 'INVALID_MODEL_FILE' });
  });
});
