import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { REPO_ROOT } from './paths.js';

/** A workspace package packed as it would be published. */
export interface PackedPackage {
  /** The package name, e.g. `@model-signing/cli`. */
  readonly name: string;
  /** Its version. */
  readonly version: string;
  /** The tarball. */
  readonly file: string;
  /** The package.json inside the tarball (workspace ranges rewritten to versions). */
  readonly manifest: Record<string, unknown>;
}

/**
 * Packs every published (not private) package under packages/ with `pnpm pack`, as a release does: `workspace:` ranges become versions
 * and `prepack` scripts run (the prebuilt hashing addon). The packages must be built. With
 * `MODEL_SIGNING_PACKED_DIR` set (scripts/release.sh), the tarballs already there are used instead: those are
 * the ones a release publishes.
 */
export function packWorkspace(destination: string): PackedPackage[] {
  const packed: PackedPackage[] = [];
  const prepacked = process.env.MODEL_SIGNING_PACKED_DIR;
  for (const dir of readdirSync(path.join(REPO_ROOT, 'packages'))) {
    const cwd = path.join(REPO_ROOT, 'packages', dir);
    const {
      name,
      version,
      private: unpublished,
    } = JSON.parse(readFileSync(path.join(cwd, 'package.json'), 'utf8')) as {
      name: string;
      version: string;
      private?: boolean;
    };
    if (unpublished) continue;
    if (!prepacked) {
      execFileSync('pnpm', ['pack', '--pack-destination', destination], {
        cwd,
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    }
    const tarball = `${name.replace(/^@/, '').replace('/', '-')}-${version}.tgz`;
    const file = path.join(prepacked || destination, tarball);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', file, 'package/package.json'], { encoding: 'utf8' }),
    ) as Record<string, unknown>;
    packed.push({ name, version, file, manifest });
  }
  return packed;
}

/** A registry on loopback that serves packed packages. */
export interface LocalRegistry {
  /** Its base URL, ending in `/`: what `--@scope:registry=` takes. */
  readonly url: string;
  /** The package names that were asked for, in order. */
  readonly requested: string[];
  /** Stops it. */
  close(): Promise<void>;
}

/**
 * Serves `packages` as an npm registry does (a packument per name, the tarballs), on 127.0.0.1, so that npm
 * installs them by name exactly as from the public registry once they are published. Meant to be the registry
 * of their scope only; npm fetches every other package from its usual registry. Nothing is cached by npm:
 * the same version is packed again on every run.
 */
export async function startRegistry(packages: readonly PackedPackage[]): Promise<LocalRegistry> {
  const byName = new Map(packages.map((pkg) => [pkg.name, pkg]));
  const tarballs = new Map(packages.map((pkg) => [path.basename(pkg.file), readFileSync(pkg.file)]));
  const requested: string[] = [];
  let base = '';
  const server = createServer((request, response) => {
    const url = decodeURIComponent((request.url ?? '/').split('?')[0] ?? '/');
    const headers = { 'cache-control': 'no-store' };
    const tarball = url.startsWith('/-/') ? tarballs.get(url.slice(3)) : undefined;
    if (tarball !== undefined) {
      response.writeHead(200, { ...headers, 'content-type': 'application/octet-stream' }).end(tarball);
      return;
    }
    const pkg = byName.get(url.slice(1));
    if (pkg === undefined) {
      response
        .writeHead(404, { ...headers, 'content-type': 'application/json' })
        .end('{"error":"not found"}');
      return;
    }
    requested.push(pkg.name);
    const bytes = tarballs.get(path.basename(pkg.file)) as Buffer;
    const packument = {
      name: pkg.name,
      'dist-tags': { latest: pkg.version },
      versions: {
        [pkg.version]: {
          ...pkg.manifest,
          _id: `${pkg.name}@${pkg.version}`,
          dist: {
            tarball: `${base}-/${path.basename(pkg.file)}`,
            integrity: `sha512-${createHash('sha512').update(bytes).digest('base64')}`,
            shasum: createHash('sha1').update(bytes).digest('hex'),
          },
        },
      },
    };
    response
      .writeHead(200, { ...headers, 'content-type': 'application/json' })
      .end(JSON.stringify(packument));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  return {
    url: base,
    requested,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
