import { toHex } from '@model-signing/manifest';
import { OciError } from './errors.js';
import { ANNOTATIONS } from './media-types.js';
import {
  isModelCar,
  MODEL_PATH_PREFIX,
  normalizeLayerPath,
  parseDigestString,
  stripModelPrefix,
} from './model-manifest.js';
import { sha256Hex, walkLayer } from './tar.js';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function underPrefix(memberName: string, prefix: string): boolean {
  const name = memberName.replace(/^(?:\.?\/)+/, '');
  const bare = prefix.replace(/^\/+|\/+$/g, '');
  return name === bare || name.startsWith(`${bare}/`);
}

/**
 * Checks what the fork never checks (decisions 24, spec §1.5 security note): every OLOT `file` layer of a
 * ModelCar image holds exactly one regular file, at the path its annotation names, with the digest its
 * annotation claims; and no other layer writes anything but directories under the model prefix. Every
 * layer blob is streamed and checked against its own digest too. Does nothing for non-ModelCar images.
 */
export async function checkModelCarLayers(
  imageManifest: Record<string, unknown>,
  openBlob: (descriptor: { digest: string }) => Promise<AsyncIterable<Uint8Array>>,
  prefix: string = MODEL_PATH_PREFIX,
): Promise<void> {
  if (!isModelCar(imageManifest)) return;
  const layers = Array.isArray(imageManifest.layers) ? imageManifest.layers : [];
  for (const [index, layer] of layers.entries()) {
    if (!isRecord(layer) || typeof layer.digest !== 'string') continue;
    const digest = layer.digest;
    const annotations = isRecord(layer.annotations) ? layer.annotations : {};
    const type = annotations[ANNOTATIONS.olotType];
    if (type === 'directory') continue; // its members are hashed one by one when the manifest is built
    const what = `Layer ${index} (${digest})`;
    if (type === 'file') {
      const claimed = annotations[ANNOTATIONS.olotInLayerPath];
      const claimedDigest = annotations[ANNOTATIONS.olotDigest];
      if (typeof claimed !== 'string' || typeof claimedDigest !== 'string') continue;
      const name = normalizeLayerPath(stripModelPrefix(claimed, prefix));
      if (name === '' || name === '.') continue;
      const expected = parseDigestString(claimedDigest);
      if (expected.algorithm !== 'sha256') {
        throw new OciError(
          'LAYER_CONTENT_MISMATCH',
          `${what} claims a ${expected.algorithm} file digest; only sha256 can be checked`,
        );
      }
      const files: string[] = [];
      let actualHex: string | undefined;
      await walkLayer(await openBlob({ digest }), digest, what, async (member, content) => {
        if (member.type === 'directory') return;
        const memberName = normalizeLayerPath(stripModelPrefix(member.name, prefix));
        files.push(`${member.name} (${member.type})`);
        if (member.type === 'file' && memberName === name) actualHex = await sha256Hex(content);
      });
      if (files.length !== 1 || actualHex === undefined) {
        throw new OciError(
          'LAYER_CONTENT_MISMATCH',
          `${what} should hold only the file ${claimed} but holds ${files.length === 0 ? 'no file' : files.slice(0, 5).join(', ')}`,
        );
      }
      if (actualHex !== toHex(expected.value)) {
        throw new OciError(
          'LAYER_CONTENT_MISMATCH',
          `${what}: file ${name} has sha256:${actualHex.slice(0, 16)}…, its annotation claims sha256:${toHex(expected.value).slice(0, 16)}…`,
        );
      }
    } else {
      await walkLayer(await openBlob({ digest }), digest, what, async (member) => {
        if (member.type !== 'directory' && underPrefix(member.name, prefix)) {
          throw new OciError(
            'LAYER_CONTENT_MISMATCH',
            `${what} is not a model layer but writes ${member.name} under ${prefix}; it is not covered by the signature`,
          );
        }
      });
    }
  }
}
