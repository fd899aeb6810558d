import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The shared fixtures beside the checkout (`../shared/fixtures`), read-only. */
export const FIXTURES = path.resolve(REPO_ROOT, '../shared/fixtures');

/** The Python tool's golden signatures and their models. */
export const PYTHON_SIGNATURES = path.join(FIXTURES, 'python-upstream/signatures');

/** The built CLI launcher (run `pnpm build` first). */
export const CLI_BIN = path.join(REPO_ROOT, 'node_modules/.bin/model-signing');
