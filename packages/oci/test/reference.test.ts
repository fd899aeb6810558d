import { apiHost, ImageReference, OciError, signatureTag } from '@model-signing/oci';
import { describe, expect, it } from 'vitest';

const HEX = 'a'.repeat(64);

describe('ImageReference.parse (spec §1.3 golden table, verified with the fork)', () => {
  it.each([
    ['quay.io/user/model:latest', 'quay.io', 'user/model', 'latest', null],
    ['oci://quay.io/user/model:latest', 'quay.io', 'user/model', 'latest', null],
    [`ghcr.io/org/model@sha256:${HEX}`, 'ghcr.io', 'org/model', null, `sha256:${HEX}`],
    ['registry.example.com/org/team/model:v1.0', 'registry.example.com', 'org/team/model', 'v1.0', null],
    ['localhost:5000/mymodel:test', 'localhost:5000', 'mymodel', 'test', null],
    ['library/ubuntu:22.04', 'library', 'ubuntu', '22.04', null],
    ['q/r:t:u', 'q', 'r:t', 'u', null],
    ['[::1]:5000/team/model:v2', '[::1]:5000', 'team/model', 'v2', null],
    [`localhost:5000/m@sha512:${'b'.repeat(128)}`, 'localhost:5000', 'm', null, `sha512:${'b'.repeat(128)}`],
  ])('%s', (input, registry, repository, tag, digest) => {
    const ref = ImageReference.parse(input);
    expect([ref.registry, ref.repository, ref.tag, ref.digest]).toEqual([registry, repository, tag, digest]);
  });

  it.each([
    ['ubuntu:latest', "Invalid reference 'ubuntu:latest': missing /"],
    ['quay.io/user/model', 'Image reference must have :tag or @digest: quay.io/user/model'],
    ['localhost:5000/m', 'Image reference must have :tag or @digest: localhost:5000/m'],
    ['oci://quay.io/user/model', 'Image reference must have :tag or @digest: quay.io/user/model'],
    ['quay.io/user/model@invalid-digest', 'Invalid digest format: invalid-digest'],
    ['quay.io/user/model@sha256:abc', 'Invalid digest format: sha256:abc'],
    [`quay.io/user/model@sha256:${'A'.repeat(64)}`, `Invalid digest format: sha256:${'A'.repeat(64)}`],
    [`quay.io/user/model@sha512:${HEX}`, `Invalid digest format: sha512:${HEX}`],
    ['quay.io/:tag', "Invalid image reference 'quay.io/'"],
  ])('%s is refused', (input, message) => {
    const error = (() => {
      try {
        ImageReference.parse(input);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(OciError);
    expect((error as Error).message).toBe(message);
  });

  it('refuses name:tag@digest instead of keeping the tag inside the repository', () => {
    expect(() => ImageReference.parse(`quay.io/u/m:v1@sha256:${HEX}`)).toThrow(/either :tag or @digest/);
  });

  it('prints, derives and swaps tag and digest', () => {
    const ref = ImageReference.parse('oci://quay.io/user/model:latest');
    expect(ref.toString()).toBe('quay.io/user/model:latest');
    expect(ref.reference).toBe('latest');
    const pinned = ref.withDigest(`sha256:${HEX}`);
    expect(pinned.toString()).toBe(`quay.io/user/model@sha256:${HEX}`);
    expect(pinned.reference).toBe(`sha256:${HEX}`);
    expect(pinned.withTag('v2').toString()).toBe('quay.io/user/model:v2');
  });

  it('names the signature tag as the fork does', () => {
    expect(signatureTag(`sha256:${HEX}`)).toBe(`sha256-${HEX}.sig`);
  });

  it('reaches Docker Hub at its API host and leaves other registries alone', () => {
    expect(apiHost('docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('index.docker.io')).toBe('registry-1.docker.io');
    expect(apiHost('localhost:5000')).toBe('localhost:5000');
  });
});
