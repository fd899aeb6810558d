/**
 * PKCS #11 signing (`pkcs11-key`, `pkcs11-certificate`): the key stays on the token, the bundles are exactly
 * those of the EC-key and certificate methods (spec §6.5). The token code lives in the optional package
 * `@model-signing/pkcs11` (native graphene-pk11/pkcs11js), loaded on first use so that this package installs
 * and works without it.
 * @module
 */

import {
  readCertificates,
  readSingleCertificate,
  SigningError,
  type SigningErrorCode,
} from '@model-signing/core';
import type { Pkcs11Error } from '@model-signing/pkcs11';
import { createCertificateBundleSigner, createKeyBundleSigner } from './bundle.js';
import type { EcdsaKeySigner, ModelSigner } from './signer.js';

/** Where the PKCS #11 key lives: an RFC 7512 `pkcs11:` URI and optional module search directories. */
export interface Pkcs11SignerOptions {
  /**
   * The RFC 7512 URI of the key: `token` and/or `slot-id`, `object` and/or `id`, `pin-value` or
   * `pin-source`, `module-path` or `module-name`.
   */
  uri: string;
  /**
   * Directories searched for the URI's `module-name`, replacing the default directories
   * (`/usr/lib64/pkcs11/`, `/usr/lib/pkcs11/`, Debian's `/usr/lib/softhsm/`, …) when non-empty.
   */
  modulePaths?: readonly string[];
}

/** A PKCS #11 key with its signing certificate and chain. */
export interface Pkcs11CertificateSignerOptions extends Pkcs11SignerOptions {
  /** The signing certificate: a PEM file path or PEM contents. Its public key must be the token's. */
  signingCertificate: string | Uint8Array;
  /** Further chain certificates (PEM file paths or contents), written after the leaf in this order. */
  certificateChain?: readonly (string | Uint8Array)[];
}

type Pkcs11Package = typeof import('@model-signing/pkcs11');

const PACKAGE = '@model-signing/pkcs11';

/** True when `error` (or an error it wraps, as loaders and test mocks do) says the package is not installed. */
function isMissingPackage(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as NodeJS.ErrnoException).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && e.message.includes(PACKAGE))
      return true;
  }
  return false;
}

async function loadPkcs11(): Promise<Pkcs11Package> {
  try {
    return await import('@model-signing/pkcs11');
  } catch (error) {
    if (isMissingPackage(error)) {
      throw new SigningError(
        'NOT_AVAILABLE',
        `PKCS #11 signing needs the optional package ${PACKAGE}; install it with: npm install ${PACKAGE}`,
        { cause: error },
      );
    }
    throw new SigningError('NOT_AVAILABLE', `${PACKAGE} cannot be loaded: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Signing-side codes for the token package's errors; the original stays the `cause`. */
const CODES: Partial<Record<Pkcs11Error['code'], SigningErrorCode>> = {
  URI_MALFORMED: 'CONFIG_ERROR',
  URI_INVALID: 'CONFIG_ERROR',
  MODULE_NOT_FOUND: 'CONFIG_ERROR',
  MODULE_NOT_ALLOWED: 'CONFIG_ERROR',
  UNSUPPORTED_KEY: 'UNSUPPORTED_KEY',
};

/** A token failure as a {@link SigningError} with the same one-line message (never a PIN). */
function asSigningError(error: unknown): unknown {
  if (error instanceof SigningError) return error;
  if (error instanceof Error && error.name === 'Pkcs11Error') {
    const code = CODES[(error as Pkcs11Error).code] ?? 'SIGN_ERROR';
    return new SigningError(code, error.message, { cause: error });
  }
  return error;
}

async function openKey(pkcs11: Pkcs11Package, options: Pkcs11SignerOptions): Promise<EcdsaKeySigner> {
  try {
    return await pkcs11.openPkcs11Key(options.uri, {
      ...(options.modulePaths !== undefined ? { modulePaths: options.modulePaths } : {}),
    });
  } catch (error) {
    throw asSigningError(error);
  }
}

/** Makes the token's errors while signing SigningErrors too. */
function withTokenErrors(key: EcdsaKeySigner): EcdsaKeySigner {
  return {
    curve: key.curve,
    publicKeySpki: key.publicKeySpki,
    async sign(data: Uint8Array): Promise<Uint8Array> {
      try {
        return await key.sign(data);
      } catch (error) {
        throw asSigningError(error);
      }
    },
    async close(): Promise<void> {
      await key.close?.();
    },
  };
}

/**
 * A signer whose key is on a PKCS #11 token, writing key bundles (public-key hint, as `sign key`). The
 * session stays open until the signer's `close()`, which `Config.sign` calls.
 * @throws {@link SigningError} `NOT_AVAILABLE` without `@model-signing/pkcs11`; token errors keep their message.
 */
export async function createPkcs11Signer(options: Pkcs11SignerOptions): Promise<ModelSigner> {
  const pkcs11 = await loadPkcs11();
  const key = withTokenErrors(await openKey(pkcs11, options));
  return { ...createKeyBundleSigner(key), method: 'pkcs11-key' };
}

/**
 * A signer whose key is on a PKCS #11 token, writing certificate bundles (leaf then chain, as
 * `sign certificate`). The certificates are read before the token is opened; a leaf whose public key is not
 * the token's fails with `KEY_CERTIFICATE_MISMATCH` and closes the token again.
 * @throws {@link SigningError}
 */
export async function createPkcs11CertificateSigner(
  options: Pkcs11CertificateSignerOptions,
): Promise<ModelSigner> {
  const leaf = readSingleCertificate(options.signingCertificate);
  const chain = (options.certificateChain ?? []).flatMap((input) =>
    readCertificates(input, 'certificate chain'),
  );
  const pkcs11 = await loadPkcs11();
  const key = withTokenErrors(await openKey(pkcs11, options));
  try {
    return { ...createCertificateBundleSigner(key, leaf, chain), method: 'pkcs11-certificate' };
  } catch (error) {
    await key.close?.();
    throw error;
  }
}
