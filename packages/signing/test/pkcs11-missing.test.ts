// Without the optional @model-signing/pkcs11 package, PKCS #11 signing fails with an install hint.
import { createPkcs11CertificateSigner, createPkcs11Signer, SigningError } from '@model-signing/signing';
import { describe, expect, it, vi } from 'vitest';

vi.mock('@model-signing/pkcs11', () => {
  const error = new Error("Cannot find package '@model-signing/pkcs11' imported from signing/dist/pkcs11.js");
  Object.assign(error, { code: 'ERR_MODULE_NOT_FOUND' });
  throw error;
});

describe('PKCS #11 signing without @model-signing/pkcs11', () => {
  it('createPkcs11Signer says which package to install', async () => {
    const error = await createPkcs11Signer({ uri: 'pkcs11:object=k' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SigningError);
    expect((error as SigningError).code).toBe('NOT_AVAILABLE');
    expect((error as SigningError).message).toBe(
      'PKCS #11 signing needs the optional package @model-signing/pkcs11; install it with: npm install @model-signing/pkcs11',
    );
  });

  it('createPkcs11CertificateSigner checks its certificate files before it needs the package', async () => {
    const missing = await createPkcs11CertificateSigner({
      uri: 'pkcs11:object=k',
      signingCertificate: '/nonexistent/leaf.pem',
    }).catch((e: unknown) => e);
    expect((missing as SigningError).code).toBe('READ_ERROR');
  });
});
