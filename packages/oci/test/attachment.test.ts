import { createHash } from 'node:crypto';
import {
  EMPTY_CONFIG,
  EMPTY_CONFIG_DIGEST,
  parseAttachmentMode,
  parseSignatureManifest,
  referrersManifestBytes,
  tagManifestBytes,
} from '@model-signing/oci';
import { describe, expect, it } from 'vitest';

const bundle = { digest: `sha256:${'1'.repeat(64)}`, size: 1234 };
const image = `sha256:${'4fbe'.repeat(16)}`;

describe('attachment manifests (spec §1.8, byte layout)', () => {
  it('the empty config is the fork’s {} blob', () => {
    expect(Buffer.from(EMPTY_CONFIG).toString()).toBe('{}');
    expect(`sha256:${createHash('sha256').update(EMPTY_CONFIG).digest('hex')}`).toBe(EMPTY_CONFIG_DIGEST);
  });

  it('referrers mode: compact, keys in the fork’s order, subject always the OCI manifest type', () => {
    expect(Buffer.from(referrersManifestBytes(bundle, { digest: image, size: 527 })).toString()).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
        '"config":{"mediaType":"application/vnd.model-signing.signature.v0.1.config+json",' +
        '"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
        `"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"${bundle.digest}","size":1234}],` +
        '"artifactType":"application/vnd.model-signing.signature.v0.1",' +
        `"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"${image}","size":527}}`,
    );
  });

  it('tag mode: OCI config type, the artifact-type annotation, no subject and no artifactType', () => {
    expect(Buffer.from(tagManifestBytes(bundle)).toString()).toBe(
      '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",' +
        '"config":{"mediaType":"application/vnd.oci.image.config.v1+json",' +
        '"digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},' +
        `"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","digest":"${bundle.digest}","size":1234}],` +
        '"annotations":{"dev.sigstore.model-signing.artifact-type":"application/vnd.model-signing.signature.v0.1"}}',
    );
  });

  it('reads both back and refuses wrong media types or a foreign subject', () => {
    const referrer = JSON.parse(
      Buffer.from(referrersManifestBytes(bundle, { digest: image, size: 1 })).toString(),
    );
    expect(parseSignatureManifest(referrer, 'r', image).digest).toBe(bundle.digest);
    expect(() => parseSignatureManifest(referrer, 'r', `sha256:${'0'.repeat(64)}`)).toThrow(/subject/);
    const tagged = JSON.parse(Buffer.from(tagManifestBytes(bundle)).toString());
    expect(parseSignatureManifest(tagged, 't').digest).toBe(bundle.digest);
    expect(() =>
      parseSignatureManifest({ ...tagged, mediaType: 'application/vnd.oci.image.index.v1+json' }, 't'),
    ).toThrow(/t: media type is application\/vnd.oci.image.index.v1\+json/);
    const wrongLayer = {
      ...tagged,
      layers: [{ ...tagged.layers[0], mediaType: 'application/octet-stream' }],
    };
    expect(() => parseSignatureManifest(wrongLayer, 't')).toThrow(
      /layer media type is application\/octet-stream/,
    );
  });

  it('reads attachment modes case-insensitively with the fork’s error', () => {
    expect(parseAttachmentMode('TAG')).toBe('tag');
    expect(() => parseAttachmentMode('foo')).toThrow(
      "Invalid attachment mode 'foo'. Must be 'referrers' or 'tag'.",
    );
  });
});
