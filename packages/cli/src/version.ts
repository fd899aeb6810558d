import { readFileSync } from 'node:fs';

/** The version of the CLI package, read from its package.json (one source of truth). */
export const VERSION: string = (() => {
  const json = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version?: string;
  };
  return json.version ?? '0.0.0';
})();
