// A Hugging Face hub cache (models--org--name/{blobs,snapshots/<rev>}): every file of a snapshot is a relative
// symlink to ../../blobs/<sha256>. With the symlink opt-in (decision 9 as revised) a snapshot signs and
// verifies, through the library and the CLI; its digests are those of the blobs (sha256sum); tampering with a
// blob or a link fails, naming the file; cycles, dangling links and links to FIFOs fail in one line naming the
// link; without the opt-in every link is refused.
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { Config, HashingError } from '@model-signing/hashing';
import * as signing from '@model-signing/signing';
import * as verifying from '@model-signing/verifying';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../../test-support/cli.js';
import { CA_CERT, GOLDENS, PUBLIC_KEY, SIGNATURES } from '../../verifying/test/fixtures.js';
import { enginesToTest, pseudoRandomBytes, TempDirs, toolDigest } from './support.js';

const temp = new TempDirs();
const ENGINES = await enginesToTest();
afterAll(() => temp.cleanup());

const REVISION = '0123456789abcdef0123456789abcdef01234567';

/** The files of the snapshot, by their path in it. */
const FILES: Record<string, Buffer> = {
  'config.json': Buffer.from('{"model_type": "bert"}\n'),
  'model.safetensors': pseudoRandomBytes(300_000, 7),
  'tokenizer/vocab.txt': Buffer.from('[PAD]\n[UNK]\nhello\n'),
  'tokenizer/special/map.json': Buffer.from('{}\n'),
};

interface Cache {
  readonly repo: string;
  readonly snapshot: string;
  readonly blobs: string;
}

// As huggingface_hub lays it out: blobs named by their SHA-256, links relative to the snapshot's folders.
function makeCache(): Cache {
  const repo = path.join(temp.make(), 'hub', 'models--org--name');
  const blobs = path.join(repo, 'blobs');
  const snapshot = path.join(repo, 'snapshots', REVISION);
  mkdirSync(blobs, { recursive: true });
  mkdirSync(path.join(repo, 'refs'), { recursive: true });
  writeFileSync(path.join(repo, 'refs', 'main'), REVISION);
  for (const [name, content] of Object.entries(FILES)) {
    const blob = path.join(blobs, 'pending');
    writeFileSync(blob, content);
    const sha = toolDigest('sha256sum', blob);
    execFileSync('mv', [blob, path.join(blobs, sha)]);
    const link = path.join(snapshot, name);
    mkdirSync(path.dirname(link), { recursive: true });
    symlinkSync(path.relative(path.dirname(link), path.join(blobs, sha)), link);
  }
  return { repo, snapshot, blobs };
}

function blobOf(cache: Cache, name: string): string {
  return path.join(cache.blobs, toolDigest('sha256sum', path.join(cache.snapshot, name)));
}

function keyPair(): { privateKey: string; publicKey: string } {
  const dir = temp.make();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const files = { privateKey: path.join(dir, 'key.pem'), publicKey: path.join(dir, 'key.pub.pem') };
  writeFileSync(files.privateKey, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(files.publicKey, publicKey.export({ type: 'spki', format: 'pem' }));
  return files;
}

type Keys = ReturnType<typeof keyPair>;

function signWithLibrary(cache: Cache, keys: Keys, signature: string): Promise<unknown> {
  return new signing.Config()
    .setHashingConfig(new Config().setAllowSymlinks(true))
    .useEllipticKeySigner({ privateKey: keys.privateKey })
    .sign(cache.snapshot, signature);
}

function signWithCli(cache: Cache, keys: Keys, signature: string) {
  const args = ['--private-key', keys.privateKey, '--signature', signature, cache.snapshot];
  return runCli(['sign', 'key', '--allow-symlinks', ...args]);
}

async function failure(promise: Promise<unknown>): Promise<Error> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

describe.each(ENGINES)('a Hugging Face snapshot, hashed by the %s engine', (engine) => {
  it('hashes each link with its blob’s digest, under the link’s name', async () => {
    const cache = makeCache();
    const manifest = await new Config().setAllowSymlinks(true).hash(cache.snapshot, { engine });
    expect(manifest.names()).toEqual(Object.keys(FILES).sort());
    for (const name of Object.keys(FILES)) {
      expect(Buffer.from(manifest.get(name)!.digest.value).toString('hex')).toBe(
        path.basename(blobOf(cache, name)),
      );
    }
    expect(manifest.serialization.allowSymlinks).toBe(true);
    // Shards of the blobs, too.
    const shards = await new Config()
      .useShardSerialization({ shardSize: 100_000 })
      .setAllowSymlinks(true)
      .hash(cache.snapshot, { engine });
    expect(shards.names().filter((name) => name.startsWith('model.safetensors:'))).toHaveLength(3);
  });

  it('refuses every link without the opt-in, naming it and the opt-in', async () => {
    const cache = makeCache();
    const error = await failure(new Config().hash(cache.snapshot, { engine }));
    expect(error).toBeInstanceOf(HashingError);
    expect(error.message).toBe(
      `Cannot use '${path.join(cache.snapshot, 'config.json')}' because it is a symlink. Follow symlinks with --allow-symlinks (CLI) or setAllowSymlinks(true) (library).`,
    );
  });

  it.each([
    ['a cycle', (dir: string) => symlinkSync('loop-b', path.join(dir, 'loop-a')), 'loop-a', 'SYMLINK_CYCLE'],
    [
      'a dangling link',
      (dir: string) => symlinkSync('../../blobs/missing', path.join(dir, 'gone')),
      'gone',
      'SPECIAL_FILE',
    ],
    [
      'a link to a FIFO',
      (dir: string) => {
        execFileSync('mkfifo', [path.join(dir, '..', '..', 'blobs', 'fifo')]);
        symlinkSync('../../blobs/fifo', path.join(dir, 'pipe'));
      },
      'pipe',
      'SPECIAL_FILE',
    ],
  ] as const)('fails on %s in one line naming the link', async (_, add, link, code) => {
    const cache = makeCache();
    add(cache.snapshot);
    if (link === 'loop-a') symlinkSync('loop-a', path.join(cache.snapshot, 'loop-b'));
    const error = await failure(new Config().setAllowSymlinks(true).hash(cache.snapshot, { engine }));
    expect((error as HashingError).code).toBe(code);
    expect(error.message).toContain(`'${path.join(cache.snapshot, link)}'`);
    expect(error.message.split('\n')).toHaveLength(1);
  });
});

describe('signing and verifying a Hugging Face snapshot through the library', () => {
  it('signs and verifies with the opt-in; a tampered blob or a retargeted link fails naming the file', async () => {
    const cache = makeCache();
    const keys = keyPair();
    const signature = path.join(temp.make(), 'model.sig');
    await signWithLibrary(cache, keys, signature);
    const verifier = () => new verifying.Config().useEllipticKeyVerifier({ publicKey: keys.publicKey });
    const result = await verifier().setAllowSymlinks(true).verify(cache.snapshot, signature);
    expect(result.files).toEqual(Object.keys(FILES).sort());

    // Without the opt-in, the error says the signature was made with symlinks allowed.
    const refused = await failure(verifier().verify(cache.snapshot, signature));
    expect(refused.message).toContain('because it is a symlink');
    expect(refused.message).toContain(
      'The signature was made with symlinks allowed: verify with --allow-symlinks',
    );

    // A link now leading to another blob.
    const vocab = path.join(cache.snapshot, 'tokenizer', 'vocab.txt');
    rmSync(vocab);
    symlinkSync(path.relative(path.dirname(vocab), blobOf(cache, 'config.json')), vocab);
    const retargeted = await failure(verifier().setAllowSymlinks(true).verify(cache.snapshot, signature));
    expect((retargeted as verifying.VerificationError).code).toBe('MODEL_MISMATCH');
    expect(retargeted.message).toContain('tokenizer/vocab.txt');
  });

  it('a tampered blob fails naming the link that leads to it', async () => {
    const cache = makeCache();
    const keys = keyPair();
    const signature = path.join(temp.make(), 'model.sig');
    await signWithLibrary(cache, keys, signature);
    const blob = blobOf(cache, 'model.safetensors');
    const bytes = readFileSync(blob);
    bytes[1000] = (bytes[1000]! + 1) & 0xff;
    writeFileSync(blob, bytes);
    const error = await failure(
      new verifying.Config()
        .useEllipticKeyVerifier({ publicKey: keys.publicKey })
        .setAllowSymlinks(true)
        .verify(cache.snapshot, signature),
    );
    expect((error as verifying.VerificationError).code).toBe('MODEL_MISMATCH');
    expect(error.message).toContain('model.safetensors');
    expect(error.message).not.toContain('config.json');
  });
});

describe('the CLI signs and verifies a Hugging Face snapshot with --allow-symlinks', () => {
  it('sign key / verify key, then a tampered blob and the opt-in left out', async () => {
    const cache = makeCache();
    const keys = keyPair();
    const signature = path.join(temp.make(), 'model.sig');
    const signed = await signWithCli(cache, keys, signature);
    expect(signed.stderr).toBe('');
    expect(signed.code).toBe(0);
    const verify = (...extra: string[]) =>
      runCli([
        'verify',
        'key',
        ...extra,
        '--public-key',
        keys.publicKey,
        '--signature',
        signature,
        cache.snapshot,
      ]);
    const verified = await verify('--allow-symlinks');
    expect(verified.stderr).toBe('');
    expect(verified.code).toBe(0);
    expect(verified.stdout.endsWith('Verification succeeded\n')).toBe(true);

    const without = await verify();
    expect(without.code).toBe(1);
    expect(without.stderr).toContain('because it is a symlink');
    expect(without.stderr).toContain('verify with --allow-symlinks');

    const blob = blobOf(cache, 'tokenizer/special/map.json');
    writeFileSync(blob, '{"tampered": true}\n');
    const tampered = await verify('--allow-symlinks');
    expect(tampered.code).toBe(1);
    expect(tampered.stderr).toContain('tokenizer/special/map.json');
  });

  it('a dangling link fails signing in one line naming it, and writes no signature', async () => {
    const cache = makeCache();
    const keys = keyPair();
    symlinkSync('../../blobs/0000', path.join(cache.snapshot, 'dangling'));
    const signature = path.join(temp.make(), 'model.sig');
    const result = await signWithCli(cache, keys, signature);
    expect(result.code).toBe(1);
    expect(result.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(`'${path.join(cache.snapshot, 'dangling')}'`);
    expect(() => readFileSync(signature)).toThrow();
  });
});

describe('the Python goldens still verify under the revised symlink policy', () => {
  const trust = (golden: (typeof GOLDENS)[number]) =>
    golden.method === 'key'
      ? new verifying.Config().useEllipticKeyVerifier({ publicKey: PUBLIC_KEY })
      : new verifying.Config().useCertificateVerifier({ certificateChain: [CA_CERT] });
  for (const golden of GOLDENS) {
    it.each([false, true])(`${golden.dir} (symlinks allowed: %s)`, async (allow) => {
      const model = path.join(SIGNATURES, golden.model);
      const result = await trust(golden)
        .setAllowSymlinks(allow)
        .setIgnoredPaths({ paths: golden.ignore.map((p) => path.relative(model, path.join(SIGNATURES, p))) })
        .verify(model, path.join(SIGNATURES, golden.dir, 'model.sig'));
      expect(result.files.length).toBeGreaterThan(0);
    });
  }
});
