import { existsSync, readFileSync } from 'node:fs';
import type { RegistryAccess, RegistryCredentials } from '@model-signing/oci';
import { type Command, Option } from 'commander';
import { UsageError } from '../errors.js';
import { logger } from '../log.js';

/** Registry options of the image-capable commands. */
export interface RegistryCliOptions {
  /** `--plain-http`: talk HTTP to the registry (local test registries). */
  plainHttp: boolean;
  /** `--registry-username`. */
  registryUsername?: string;
  /** `--registry-password` (or `MODEL_SIGNING_REGISTRY_PASSWORD`). */
  registryPassword?: string;
  /** `--authfile`: an auth file read instead of the podman/docker defaults. */
  authfile?: string;
  /** `--registry-ca`: extra CA certificates (PEM file) for the registry's TLS. */
  registryCa?: string;
}

/**
 * Adds `--plain-http`, `--registry-username`, `--registry-password`, `--authfile` and `--registry-ca`, and
 * says in the help that the target may be an image.
 */
export function addRegistryOptions(command: Command): Command {
  const target = command.registeredArguments[0];
  if (target)
    target.description = 'the model (a directory or a file) or an OCI image reference (registry/repo:tag)';
  return command
    .option('--plain-http', 'talk plain HTTP to the registry (images only)', false)
    .option('--registry-username <user>', 'registry user name (images only)')
    .addOption(
      new Option('--registry-password <password>', 'registry password or token (images only)').env(
        'MODEL_SIGNING_REGISTRY_PASSWORD',
      ),
    )
    .option('--authfile <path>', 'registry auth file instead of the podman/docker ones (images only)')
    .option('--registry-ca <path>', 'PEM file of extra CA certificates for the registry (images only)');
}

/** The library's registry access from the CLI options; credentials never reach any output. */
export function registryAccess(options: RegistryCliOptions): RegistryAccess {
  let credentials: RegistryCredentials | undefined;
  if (options.registryUsername !== undefined || options.registryPassword !== undefined) {
    if (options.registryUsername === undefined || options.registryPassword === undefined) {
      throw new UsageError('--registry-username and --registry-password go together');
    }
    credentials = { username: options.registryUsername, password: options.registryPassword };
  }
  if (options.authfile !== undefined && !existsSync(options.authfile)) {
    throw new UsageError(`--authfile ${options.authfile}: no such file`);
  }
  let ca: string | undefined;
  if (options.registryCa) {
    try {
      ca = readFileSync(options.registryCa, 'utf8');
    } catch {
      throw new UsageError(`Cannot read the CA file ${options.registryCa}`);
    }
  }
  return {
    plainHttp: options.plainHttp,
    ...(credentials ? { credentials } : {}),
    ...(options.authfile ? { authFile: options.authfile } : {}),
    ...(ca ? { ca } : {}),
    warn: (message) => logger.warn(message),
    ...(logger.enabled('debug') ? { debug: (message: string) => logger.debug(`registry: ${message}`) } : {}),
  };
}
