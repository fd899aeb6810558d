// Builds the browser bundles with esbuild and fails if anything in them comes from Node.js: the manifest
// package is taken from its sources with two browser stand-ins (SHA-256 on hash-wasm, Buffer from the `buffer`
// package), and every `node:` import or unresolved Node.js built-in is an error.
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PACKAGE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PACKAGES = path.dirname(PACKAGE);

/** The library's entry points, by output name. */
export const LIBRARY_ENTRIES = {
  'model-signing': path.join(PACKAGE, 'src/index.ts'),
  'hash-worker': path.join(PACKAGE, 'src/hash-worker.ts'),
};

// esbuild lists the injected module as an external import of every input.
const INJECTED = path.join(PACKAGE, 'src/buffer-global.ts');

const BUILTINS = new Set(builtinModules.flatMap((name) => [name, `node:${name}`]));

const browserPlugin = {
  name: 'model-signing-browser',
  setup(b) {
    b.onResolve({ filter: /^@model-signing\/(manifest|browser)$/ }, ({ path: name }) => ({
      path: path.join(PACKAGES, name.slice('@model-signing/'.length), 'src/index.ts'),
    }));
    b.onResolve({ filter: /^\.\/sha256\.js$/ }, ({ importer }) =>
      importer.startsWith(path.join(PACKAGES, 'manifest', 'src'))
        ? { path: path.join(PACKAGE, 'src/manifest-sha256.ts') }
        : undefined,
    );
    b.onResolve({ filter: /^node:/ }, ({ path: name, importer }) => ({
      errors: [{ text: `Node.js built-in ${name} imported by ${path.relative(PACKAGES, importer)}` }],
    }));
  },
};

/**
 * The imports of a build that are Node.js: `node:` modules and built-in names left unresolved (external).
 * A package of the same name as a built-in (`buffer`) that resolved to a file is a browser library, not Node.
 */
export function nodeImports(metafile) {
  const found = [];
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (file.startsWith('node:') || BUILTINS.has(file)) found.push(file);
    for (const imported of input.imports) {
      if (imported.path === INJECTED) continue;
      if (imported.external || imported.path.startsWith('node:'))
        found.push(`${imported.path} (from ${file})`);
    }
  }
  for (const output of Object.values(metafile.outputs)) {
    for (const imported of output.imports) if (imported.external) found.push(imported.path);
  }
  return found;
}

/**
 * Bundles `entryPoints` ({ outputName: source }) for the browser into `outdir`; throws when the bundle
 * would import anything from Node.js. Returns esbuild's metafile.
 */
export async function buildBrowser({ entryPoints = LIBRARY_ENTRIES, outdir, minify = false }) {
  const result = await build({
    entryPoints,
    outdir,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    sourcemap: true,
    minify,
    metafile: true,
    logLevel: 'silent',
    inject: [INJECTED],
    plugins: [browserPlugin],
  });
  const node = nodeImports(result.metafile);
  if (node.length > 0) throw new Error(`The browser bundle imports Node.js modules: ${node.join(', ')}`);
  return result.metafile;
}
