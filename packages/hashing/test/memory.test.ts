// Mirrors tests/_hashing/memory_test.py: the in-memory hashers.
import { blake3Implementation, createHasher, DIGEST_SIZES, hashBytes } from '@model-signing/hashing';
import { toHex } from '@model-signing/manifest';
import { describe, expect, it } from 'vitest';

// Known values from the Python tests (format spec §2.1).
const KNOWN = {
  sha256: 'a3e49d843df13c2e2a7786f6ecd7e0d184f45d718d1ac1a8a63e570466e489dd',
  blake2b:
    '3f1b20a13e94ef2a12c50f40de256e0eb444f274b8e2e04e5fb3f572242c858af600a06a0c350eef1645307a9bf2fa1fcb65445a0b3b2b44d0602ab95f4fb802',
  blake3: 'f3adfd721502f7d9510368688a392ab4f29dbff47092c0aea25f638d4985a8b1',
} as const;

const text = (s: string) => new TextEncoder().encode(s);

describe.each(['sha256', 'blake2b', 'blake3'] as const)('%s', (algorithm) => {
  it('test_hash_known_value', async () => {
    const hasher = await createHasher(algorithm);
    hasher.update(text('Test string'));
    expect(toHex(hasher.digest())).toBe(KNOWN[algorithm]);
    expect(toHex(await hashBytes(algorithm, 'Test string'))).toBe(KNOWN[algorithm]);
  });

  it('test_hash_update_twice_is_the_same_as_update_with_concatenation', async () => {
    const twice = await createHasher(algorithm);
    twice.update(text('Test '));
    twice.update(text('string'));
    expect(toHex(twice.digest())).toBe(KNOWN[algorithm]);
  });

  it('test_hash_update_empty', async () => {
    const hasher = await createHasher(algorithm);
    hasher.update(text('Test string'));
    hasher.update(new Uint8Array(0));
    expect(toHex(hasher.digest())).toBe(KNOWN[algorithm]);
  });

  it('test_update_after_reset', async () => {
    const hasher = await createHasher(algorithm);
    hasher.update(text('Something else'));
    hasher.reset();
    hasher.update(text('Test string'));
    expect(toHex(hasher.digest())).toBe(KNOWN[algorithm]);
    // digest() resets too, so the hasher is reusable.
    hasher.update(text('Test string'));
    expect(toHex(hasher.digest())).toBe(KNOWN[algorithm]);
  });

  it('test_digest_size', async () => {
    const hasher = await createHasher(algorithm);
    const expected = algorithm === 'blake2b' ? 64 : 32;
    expect(hasher.digestSize).toBe(expected);
    expect(DIGEST_SIZES[algorithm]).toBe(expected);
    expect(hasher.digest()).toHaveLength(expected);
  });
});

describe('BLAKE3 implementations', () => {
  it('native (when this platform has it) and wasm agree with the known value', async () => {
    const impls = blake3Implementation() === 'native' ? (['native', 'wasm'] as const) : (['wasm'] as const);
    if (process.env.CI === 'true' && process.platform === 'linux' && process.arch === 'x64') {
      expect(blake3Implementation()).toBe('native');
    }
    for (const blake3 of impls) {
      const hasher = await createHasher('blake3', { blake3 });
      hasher.update(text('Test '));
      hasher.update(text('string'));
      expect(toHex(hasher.digest())).toBe(KNOWN.blake3);
      hasher.update(new Uint8Array(0));
      expect(toHex(hasher.digest())).toBe('af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262');
    }
  });
});

describe('algorithm names', () => {
  it('accepts Python config name blake2 for BLAKE2b-512', async () => {
    expect(toHex(await hashBytes('blake2', 'Test string'))).toBe(KNOWN.blake2b);
    expect((await createHasher('blake2')).algorithm).toBe('blake2b');
  });

  it('rejects unknown names with Python message', async () => {
    await expect(createHasher('md5')).rejects.toMatchObject({
      code: 'INVALID_ARGUMENT',
      message: 'Unsupported hashing method md5',
    });
  });
});
