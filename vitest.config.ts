import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const packages = [
  'manifest',
  'hashing-native',
  'hashing',
  'core',
  'oci',
  'pkcs11',
  'signing',
  'verifying',
  'cli',
  'tfjs',
];

// Tests import the packages by name; resolve those names to the TypeScript sources so that a test run
// never sees stale build output. Worker threads and CLI subprocesses still use the built dist/.
export default defineConfig({
  resolve: {
    alias: packages.map((name) => ({
      find: new RegExp(`^@model-signing/${name}$`),
      replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)),
    })),
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
