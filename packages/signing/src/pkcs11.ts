import { SigningError } from './errors.js';
import type { ModelSigner } from './signer.js';

/** Where the PKCS #11 key lives: an RFC 7512 `pkcs11:` URI and optional module search paths. */
export interface Pkcs11SignerOptions {
  /** The RFC 7512 URI of the private key (token, object, PIN, module). */
  uri: string;
  /** Extra directories or module files to search for the PKCS #11 module. */
  modulePaths?: readonly string[];
}

/** A PKCS #11 key with its signing certificate and chain. */
export interface Pkcs11CertificateSignerOptions extends Pkcs11SignerOptions {
  /** The signing certificate: a PEM file path or PEM contents. */
  signingCertificate: string | Uint8Array;
  /** Further chain certificates (PEM file paths or contents), in order. */
  certificateChain?: readonly (string | Uint8Array)[];
}

/** Creates a signer for a key on a PKCS #11 token (key bundle). */
export async function createPkcs11Signer(_options: Pkcs11SignerOptions): Promise<ModelSigner> {
  throw new SigningError('NOT_AVAILABLE', 'PKCS #11 signing is not available in this build');
}

/** Creates a signer for a key on a PKCS #11 token with its certificate chain (certificate bundle). */
export async function createPkcs11CertificateSigner(
  _options: Pkcs11CertificateSignerOptions,
): Promise<ModelSigner> {
  throw new SigningError('NOT_AVAILABLE', 'PKCS #11 certificate signing is not available in this build');
}
