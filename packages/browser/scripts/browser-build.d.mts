import type { Metafile } from 'esbuild';

/** The library's entry points, by output name. */
export const LIBRARY_ENTRIES: Record<string, string>;
/** The imports of a build that are Node.js modules. */
export function nodeImports(metafile: Metafile): string[];
/** Bundles for the browser; throws when the bundle would import anything from Node.js. */
export function buildBrowser(options: {
  entryPoints?: Record<string, string>;
  outdir: string;
  minify?: boolean;
}): Promise<Metafile>;
