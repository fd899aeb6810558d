// Types of scripts/measure-verify-install.mjs, for tests written in TypeScript that reuse its counting.

/** What a project's `node_modules` holds. */
export interface InstallFootprint {
  /** The number of installed package directories. */
  readonly packages: number;
  /** Their paths relative to `node_modules`, sorted. */
  readonly names: string[];
  /** Apparent size in bytes (`du -sbl`). */
  readonly bytes: number;
  /** Allocated size in bytes (`du -s`). */
  readonly diskBytes: number;
}

/** The package directories under `nodeModules` (scoped and nested ones included), relative to it, sorted. */
export function countInstalledPackages(nodeModules: string): string[];
/** Apparent and allocated size of a directory tree. */
export function diskUsage(dir: string): { bytes: number; diskBytes: number };
/** Package count and size of `projectDir/node_modules`. */
export function installFootprint(projectDir: string): InstallFootprint;
/** The workspace packages (directory names under packages/) that `names` need when installed. */
export function workspaceClosure(root: string, names: readonly string[]): string[];
/** Packs each workspace package with `pnpm pack` into `destination`; returns the tarball paths. */
export function packPackages(root: string, names: readonly string[], destination: string): string[];
/** `npm install`s `tarballs` into a new project at `projectDir`; returns the seconds it took. */
export function installTarballs(tarballs: readonly string[], projectDir: string): number;
/**
 * Packs `@model-signing/verifying` and the workspace packages it needs from the checkout at `root`, installs them
 * with npm into `projectDir` (tarballs go beside it) and returns what was installed.
 */
export function installVerifyOnly(
  root: string,
  projectDir: string,
): InstallFootprint & { readonly workspacePackages: string[]; readonly installSeconds: number };
