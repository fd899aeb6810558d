import { redact, SigstoreError, withSpan } from '@model-signing/core';
import { STATEMENT_PAYLOAD_TYPE } from '@model-signing/manifest';
import { bundleToJSON } from '@sigstore/bundle';
import { X509Certificate } from '@sigstore/core';
import type { TrustedRoot } from '@sigstore/protobuf-specs';
import {
  DSSEBundleBuilder,
  FulcioSigner,
  InternalError,
  RekorWitness,
  type Signature,
  type Signer,
  TSAWitness,
  type Witness,
} from '@sigstore/sign';
import type { BundleJson, ModelSigner } from '../signer.js';
import { obtainIdentityToken, type TokenSources } from './oidc/index.js';
import type { SelectedServices } from './services.js';

/** Network behaviour of the Sigstore service clients. */
export interface ServiceNetworkOptions {
  /** Per-request timeout in milliseconds (default 10 s; Rekor v2 gets at least 20 s). */
  readonly timeoutMs?: number;
  /** Retries per request after the first attempt (default 2, with a short backoff). */
  readonly retries?: number;
}

/** Everything {@link createKeylessSigner} needs, already resolved. */
export interface KeylessSignerParts {
  /** Trusted root of the instance: the Fulcio certificate must chain to one of its CAs. */
  readonly trustedRoot: TrustedRoot;
  /** Where the trust came from, for messages. */
  readonly source: string;
  /** The chosen services. */
  readonly services: SelectedServices;
  /** How to get the identity token. */
  readonly tokens: TokenSources;
  /** Network behaviour. */
  readonly network?: ServiceNetworkOptions;
}

/** Fails unless the Fulcio certificate was issued by a CA of the trusted root (as the Python signer checks). */
function checkIssuedByTrustedCa(pem: string, root: TrustedRoot, source: string): void {
  const leaf = X509Certificate.parse(pem);
  const issued = root.certificateAuthorities.some((ca) =>
    (ca.certChain?.certificates ?? []).some((c) => {
      try {
        return leaf.verify(X509Certificate.parse(Buffer.from(c.rawBytes)));
      } catch {
        return false;
      }
    }),
  );
  if (!issued) {
    throw new SigstoreError(
      'SERVICE_ERROR',
      `The certificate from Fulcio was not issued by a certificate authority of the trusted root (${source})`,
    );
  }
}

/** Wraps FulcioSigner to check the issued certificate against the trusted root before anything is logged. */
class CheckedFulcioSigner implements Signer {
  constructor(
    private readonly inner: FulcioSigner,
    private readonly root: TrustedRoot,
    private readonly source: string,
  ) {}

  async sign(data: Buffer): Promise<Signature> {
    const signature = await this.inner.sign(data);
    if (signature.key.$case !== 'x509Certificate') {
      throw new SigstoreError('SERVICE_ERROR', 'Fulcio returned no certificate');
    }
    checkIssuedByTrustedCa(signature.key.certificate, this.root, this.source);
    return signature;
  }
}

function retryOptions(retries: number): {
  retries: number;
  factor: number;
  minTimeout: number;
  maxTimeout: number;
} {
  return { retries, factor: 2, minTimeout: 200, maxTimeout: 2000 };
}

/** Translates library errors into one-line SigstoreErrors without tokens. */
function translate(error: unknown, token: string | undefined, parts: KeylessSignerParts): SigstoreError {
  if (error instanceof SigstoreError) return error;
  const secrets = [token, parts.tokens.clientSecret];
  if (error instanceof InternalError) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    const service =
      error.code === 'CA_CREATE_SIGNING_CERTIFICATE_ERROR'
        ? ` (Fulcio ${parts.services.fulcio.url})`
        : error.code.startsWith('TLOG')
          ? ` (Rekor ${parts.services.rekors.map((r) => r.url).join(', ')})`
          : error.code === 'TSA_CREATE_TIMESTAMP_ERROR'
            ? ` (TSA ${parts.services.tsas.map((t) => t.url).join(', ')})`
            : '';
    const code = error.code.startsWith('IDENTITY_TOKEN') ? 'IDENTITY_TOKEN_ERROR' : 'SERVICE_ERROR';
    return new SigstoreError(code, redact(`${error.message}${service}${cause}`, secrets), { cause: error });
  }
  return new SigstoreError(
    'SERVICE_ERROR',
    redact(`Sigstore signing failed: ${(error as Error).message}`, secrets),
    {
      cause: error,
    },
  );
}

/**
 * The bundle JSON in the layout the Python tool writes (key order `mediaType`, `verificationMaterial`,
 * `dsseEnvelope`; `certificate`, `tlogEntries`, `timestampVerificationData`; signatures without `keyid`), built
 * from `bundleToJSON` so that only protobuf-spec fields appear.
 */
function toBundleJson(bundle: Parameters<typeof bundleToJSON>[0]): BundleJson {
  const json = bundleToJSON(bundle) as unknown as {
    mediaType: string;
    verificationMaterial: {
      certificate?: unknown;
      tlogEntries?: unknown[];
      timestampVerificationData?: unknown;
    };
    dsseEnvelope?: { payload: string; payloadType: string; signatures: { sig: string }[] };
  };
  const material = json.verificationMaterial;
  if (!material.certificate || !json.dsseEnvelope) {
    throw new SigstoreError(
      'SERVICE_ERROR',
      'Sigstore signing produced no certificate bundle with a DSSE envelope',
    );
  }
  const envelope = json.dsseEnvelope;
  return {
    mediaType: json.mediaType,
    verificationMaterial: {
      certificate: material.certificate,
      tlogEntries: material.tlogEntries ?? [],
      ...(material.timestampVerificationData
        ? { timestampVerificationData: material.timestampVerificationData }
        : {}),
    },
    dsseEnvelope: {
      payload: envelope.payload,
      payloadType: envelope.payloadType,
      signatures: envelope.signatures.map((s) => ({ sig: s.sig })),
    },
  };
}

/**
 * A keyless signer over resolved trust and services: identity token → Fulcio certificate for an ephemeral P-256
 * key (checked against the trusted root) → DSSE signature → Rekor `dsse` entries and TSA timestamps in parallel →
 * v0.3 bundle with the single leaf certificate.
 */
export function createKeylessSigner(parts: KeylessSignerParts): ModelSigner {
  const timeout = parts.network?.timeoutMs ?? 10_000;
  const retry = retryOptions(parts.network?.retries ?? 2);
  return {
    method: 'sigstore',
    async sign(statement: Uint8Array): Promise<BundleJson> {
      const attributes = {
        'sigstore.trust_source': parts.source,
        'sigstore.fulcio_url': parts.services.fulcio.url,
        'sigstore.rekor_urls': parts.services.rekors.map((r) => r.url),
        'sigstore.tsa_urls': parts.services.tsas.map((t) => t.url),
      };
      return withSpan('sigstore.sign', attributes, async (span) => {
        let token: string | undefined;
        try {
          const obtained = await obtainIdentityToken(parts.tokens);
          token = obtained.token;
          span.setAttribute('sigstore.token_origin', obtained.origin);
          const identity = token;
          const fulcio = new FulcioSigner({
            fulcioBaseURL: parts.services.fulcio.url,
            identityProvider: { getToken: async () => identity },
            timeout,
            retry,
          });
          const witnesses: Witness[] = [
            ...parts.services.rekors.map(
              (r) =>
                new RekorWitness({
                  rekorBaseURL: r.url,
                  majorApiVersion: r.majorApiVersion,
                  entryType: 'dsse',
                  // Rekor v2 integrates entries synchronously and may take longer: at least 20 s.
                  timeout: r.majorApiVersion === 2 ? Math.max(timeout, 20_000) : timeout,
                  retry,
                }),
            ),
            ...parts.services.tsas.map((t) => new TSAWitness({ tsaBaseURL: t.url, timeout, retry })),
          ];
          const builder = new DSSEBundleBuilder({
            signer: new CheckedFulcioSigner(fulcio, parts.trustedRoot, parts.source),
            witnesses,
          });
          const bundle = await builder.create({ data: Buffer.from(statement), type: STATEMENT_PAYLOAD_TYPE });
          return toBundleJson(bundle);
        } catch (error) {
          // Translated (and redacted) before the span records it.
          throw translate(error, token, parts);
        }
      });
    },
  };
}
