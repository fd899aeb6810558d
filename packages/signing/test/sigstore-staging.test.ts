import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { STAGING_TUF_ROOT } from '../../core/src/sigstore/staging-root.js';

// @tufjs/models is what @sigstore/tuf verifies metadata with; reach it through the dependency chain.
const fromTuf = createRequire(createRequire(import.meta.url).resolve('@sigstore/tuf'));
const fromTufJs = createRequire(fromTuf.resolve('tuf-js'));
const { Metadata } = fromTufJs('@tufjs/models') as {
  Metadata: {
    fromJSON(type: 'root', data: unknown): TufRoot;
  };
};
interface TufRoot {
  signed: { type: string; roles: Record<string, unknown> };
  verifyDelegate(role: string, meta: TufRoot): void;
}

describe('the vendored staging TUF root', () => {
  it('is a root whose own keys meet its root threshold (intact trust anchor)', () => {
    const root = Metadata.fromJSON('root', STAGING_TUF_ROOT);
    expect(root.signed.type).toBe('root');
    expect(Object.keys(root.signed.roles).sort()).toEqual(['root', 'snapshot', 'targets', 'timestamp']);
    expect(() => root.verifyDelegate('root', root)).not.toThrow();
  });

  it('fails the same check once a signature is altered', () => {
    const tampered = structuredClone(STAGING_TUF_ROOT) as { signed: { version: number } };
    tampered.signed.version += 1;
    const root = Metadata.fromJSON('root', tampered);
    expect(() => root.verifyDelegate('root', root)).toThrow();
  });
});
