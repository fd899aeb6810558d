// Bundles each package's compiled modules (tsc's dist/*.js) into one ES module per entry point, which is what
// the package exports. Node's ES module loader costs about a millisecond per module file, and a `digest` went
// through some 60 of them: about 20 ms of every CLI run, a tenth of hashing a 1 GiB file with BLAKE3.
// tsc still emits the separate modules (and the declarations the `types` conditions name); the bundles are
// made from them, so their source maps lead back to the TypeScript sources.
//
// Usage: node scripts/bundle.mjs [package …]   (every package when none is named; a named one with the workspace
// packages it depends on)
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Per package: the tsc modules that start a bundle (`index` becomes `index.bundle.js`; no source module is
 * named `*.bundle`), and the dependencies to bundle in (all others stay imports, so that a package and its users
 * share one copy of each dependency).
 */
const PACKAGES = {
  manifest: { entries: ['index'] },
  hashing: { entries: ['index'] },
  core: { entries: ['index'] },
  oci: { entries: ['index'] },
  pkcs11: { entries: ['index'] },
  signing: { entries: ['index'] },
  verifying: { entries: ['index'] },
  tfjs: { entries: ['index'] },
  // commander is bundled in: it is 9 CommonJS files that every command line loads.
  cli: { entries: ['main', 'index'], inline: ['commander'] },
};

// Bundled CommonJS code calls require() for Node's built-in modules; an ES module has none of its own.
const REQUIRE_SHIM =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

async function bundle(name) {
  const spec = PACKAGES[name];
  const dist = path.join(ROOT, 'packages', name, 'dist');
  // Chunks are named by content hash: remove the previous build's so that none is left unused.
  for (const file of readdirSync(dist))
    if (/^chunk-.*\.bundle\.js(\.map)?$/.test(file)) rmSync(path.join(dist, file));
  const inline = new Set(spec.inline ?? []);
  await build({
    entryPoints: Object.fromEntries(
      spec.entries.map((module) => [`${module}.bundle`, path.join(dist, `${module}.js`)]),
    ),
    outdir: dist,
    // Chunks sit next to the bundles, so that paths a module finds from import.meta.url (the worker script,
    // the package.json) are the same from every one of them.
    chunkNames: 'chunk-[hash].bundle',
    bundle: true,
    splitting: true, // a module loaded with import() stays a separate file, loaded only when needed
    format: 'esm',
    platform: 'node',
    target: 'node22',
    sourcemap: true,
    logLevel: 'warning',
    banner: inline.size > 0 ? { js: REQUIRE_SHIM } : undefined,
    plugins: [
      {
        name: 'external-packages',
        setup(builder) {
          builder.onResolve({ filter: /^[^./]/ }, (args) => {
            const packageName = args.path
              .split('/')
              .slice(0, args.path.startsWith('@') ? 2 : 1)
              .join('/');
            return inline.has(packageName) ? undefined : { path: args.path, external: true };
          });
        },
      },
    ],
  });
}

// A package named on the command line (a package's own build) comes with the workspace packages it imports,
// which its `tsc -b` has just rebuilt too: their bundles must not be left older than their modules.
function withWorkspaceDependencies(names) {
  const all = new Set();
  const add = (name) => {
    if (all.has(name)) return;
    const manifest = JSON.parse(readFileSync(path.join(ROOT, 'packages', name, 'package.json'), 'utf8'));
    const dependencies = { ...manifest.dependencies, ...manifest.optionalDependencies };
    for (const dependency of Object.keys(dependencies)) {
      const local = dependency.replace(/^@model-signing\//, '');
      if (local !== dependency && local in PACKAGES) add(local);
    }
    all.add(name);
  };
  for (const name of names) add(name);
  return [...all];
}

const names = process.argv.slice(2);
const unknown = names.filter((name) => !(name in PACKAGES));
if (unknown.length > 0) {
  console.error(`bundle.mjs: no package '${unknown[0]}' (known: ${Object.keys(PACKAGES).join(', ')})`);
  process.exit(2);
}
try {
  for (const name of names.length > 0 ? withWorkspaceDependencies(names) : Object.keys(PACKAGES))
    await bundle(name);
} catch (error) {
  // A failed build (error.errors) has been printed by esbuild, with the file and line.
  if (!Array.isArray(error.errors)) console.error(`bundle.mjs: ${error.message}`);
  process.exit(1);
}
