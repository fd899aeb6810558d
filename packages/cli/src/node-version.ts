/**
 * Which Node.js releases the packages run on. Kept free of imports: the launcher in bin/ loads it under
 * whatever Node is on PATH, before anything that an old Node could not load.
 * @module
 */

/**
 * The `engines.node` range of every package. Node 22 before 22.22.2 and 24 before 24.15.0 fail inside the
 * Sigstore dependencies (`require()` of an ES module); 23 and 25 are not maintained releases.
 */
export const SUPPORTED_NODE = '^22.22.2 || ^24.15.0 || >=26';

/** The first supported release of each maintained line below the open-ended one. */
const LINE_MINIMUMS: readonly (readonly [number, number, number])[] = [
  [22, 22, 2],
  [24, 15, 0],
];

/** From this major on, every release is supported. */
const OPEN_FROM_MAJOR = 26;

/** Whether a Node.js version (`process.versions.node`, with or without the leading `v`) is supported. */
export function isSupportedNode(version: string): boolean {
  const [major = 0, minor = 0, patch = 0] = version
    .replace(/^v/, '')
    .split('-')[0]!
    .split('.')
    .map((part) => Number.parseInt(part, 10) || 0);
  if (major >= OPEN_FROM_MAJOR) return true;
  const minimum = LINE_MINIMUMS.find(([line]) => line === major);
  if (minimum === undefined) return false;
  const [, minMinor, minPatch] = minimum;
  return minor > minMinor || (minor === minMinor && patch >= minPatch);
}

/**
 * The one line the CLI prints when `version` is not supported, or null when it is.
 *
 * @param version the running Node's version, e.g. `process.versions.node`.
 */
export function unsupportedNodeMessage(version: string): string | null {
  if (isSupportedNode(version)) return null;
  return (
    `model-signing: Node.js ${SUPPORTED_NODE} is required (this is v${version.replace(/^v/, '')}); ` +
    'install a supported Node.js or set MODEL_SIGNING_NODE to one'
  );
}
