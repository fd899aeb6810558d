// The time-stamp authorities a verifier trusts: PEM chains or the `timestampAuthorities` of a trusted root.
import { readFileSync } from 'node:fs';
import { type PemInput, readCertificates } from '@model-signing/core';
import { fileErrorReason } from '@model-signing/manifest';
import { decodeBase64Strict } from './base64.js';
import { type ChainCertificate, parseCertificate } from './chain.js';
import { VerificationError } from './errors.js';
import { asVerificationError } from './keys.js';

/** What the verifiers need to trust RFC 3161 timestamps. */
export interface TimestampVerifierOptions {
  /**
   * Trusted time-stamp authorities: PEM files (paths or contents) holding an authority's chain (its
   * self-signed roots are the anchors, the other certificates may serve as intermediates), or trusted-root
   * JSON files whose `timestampAuthorities` list them (as Sigstore trusted roots do). With none, timestamps
   * are reported but not trusted.
   */
  timestampAuthorities?: readonly PemInput[];
  /** How many verified timestamps a bundle must carry (default 1 when authorities are given). */
  minTimestamps?: number;
}

/** A trusted root of one authority, with the window its trusted-root entry allows (if any). */
export interface TimestampAnchor {
  /** The self-signed root certificate. */
  readonly cert: ChainCertificate;
  /** The start of the trusted-root entry's `validFor`. */
  readonly start?: Date;
  /** The end of the trusted-root entry's `validFor`. */
  readonly end?: Date;
}

/** Trusted authorities, loaded once when the verifier is configured. */
export interface TimestampTrust {
  /** The self-signed roots. */
  readonly anchors: readonly TimestampAnchor[];
  /** The other given certificates (authority certificates and intermediates). */
  readonly intermediates: readonly ChainCertificate[];
  /** At least this many verified timestamps. */
  readonly minimum: number;
}

const configError = (message: string): never => {
  throw new VerificationError('CONFIG_ERROR', message);
};

function readInput(input: PemInput, index: number): { text: string; source: string } {
  const source = typeof input === 'string' ? input : `timestamp authority ${index + 1} (given in memory)`;
  if (typeof input !== 'string') return { text: Buffer.from(input).toString('utf8'), source };
  try {
    return { text: readFileSync(input, 'utf8'), source };
  } catch (error) {
    throw new VerificationError(
      'READ_ERROR',
      `Cannot read the timestamp authority file ${input}: ${fileErrorReason(error)}`,
      { cause: error },
    );
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** The `timestampAuthorities` of a trusted root or of a ClientTrustConfig's `trustedRoot`. */
function authoritiesOfJson(json: unknown, source: string): GivenAuthority[] {
  const root = isRecord(json) && isRecord(json.trustedRoot) ? json.trustedRoot : json;
  const list = isRecord(root) ? root.timestampAuthorities : undefined;
  if (!Array.isArray(list) || list.length === 0) {
    configError(`The trusted root ${source} lists no timestampAuthorities`);
  }
  return (list as unknown[]).map((entry, i) => {
    const where = `timestampAuthorities[${i}] of ${source}`;
    const chain = isRecord(entry) && isRecord(entry.certChain) ? entry.certChain.certificates : undefined;
    if (!Array.isArray(chain) || chain.length === 0) configError(`${where} has no certChain.certificates`);
    const ders = (chain as unknown[]).map((c, j) =>
      decodeBase64Strict(
        isRecord(c) ? c.rawBytes : undefined,
        `${where}.certChain.certificates[${j}].rawBytes`,
      ),
    );
    const validFor = isRecord(entry) && isRecord(entry.validFor) ? entry.validFor : {};
    const date = (value: unknown, field: string) => {
      if (value === undefined) return undefined;
      const parsed = typeof value === 'string' ? new Date(value) : new Date(Number.NaN);
      if (Number.isNaN(parsed.getTime())) configError(`${where}.validFor.${field} is not a date`);
      return parsed;
    };
    return { ders, start: date(validFor.start, 'start'), end: date(validFor.end, 'end'), where };
  });
}

interface GivenAuthority {
  readonly ders: readonly Uint8Array[];
  readonly start: Date | undefined;
  readonly end: Date | undefined;
  readonly where: string;
}

function authoritiesOfPem(input: PemInput, source: string): GivenAuthority[] {
  const ders = asVerificationError(() => readCertificates(input, 'timestamp authority file'));
  return [{ ders, start: undefined, end: undefined, where: `the timestamp authority file ${source}` }];
}

/** Loads the trusted authorities of `options` (undefined when none is given). */
export function loadTimestampTrust(options: TimestampVerifierOptions): TimestampTrust | undefined {
  const inputs = options.timestampAuthorities ?? [];
  if (options.minTimestamps !== undefined) {
    if (!Number.isInteger(options.minTimestamps) || options.minTimestamps < 0) {
      configError(
        `The minimum number of timestamps must be a whole number ≥ 0, not ${options.minTimestamps}`,
      );
    }
    if (inputs.length === 0 && options.minTimestamps > 0) {
      configError(
        'A minimum number of timestamps needs a trusted timestamp authority (--timestamp-authority)',
      );
    }
  }
  if (inputs.length === 0) return undefined;
  const anchors: TimestampAnchor[] = [];
  const intermediates: ChainCertificate[] = [];
  for (const [i, input] of inputs.entries()) {
    const { text, source } = readInput(input, i);
    let authorities: GivenAuthority[];
    if (text.trimStart().startsWith('{')) {
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (error) {
        configError(`The trusted root ${source} is not JSON (${(error as Error).message})`);
      }
      authorities = authoritiesOfJson(json, source);
    } else {
      authorities = authoritiesOfPem(input, source);
    }
    for (const authority of authorities) {
      const certs = authority.ders.map((der, j) =>
        parseCertificate(der, `Certificate ${j + 1} of ${authority.where}`),
      );
      const roots = certs.filter((c) => c.node.subject === c.node.issuer && c.node.verify(c.node.publicKey));
      if (roots.length === 0) {
        configError(`${authority.where} holds no self-signed root certificate: add the authority's root`);
      }
      for (const cert of certs) {
        if (roots.includes(cert)) {
          anchors.push({
            cert,
            ...(authority.start ? { start: authority.start } : {}),
            ...(authority.end ? { end: authority.end } : {}),
          });
        } else intermediates.push(cert);
      }
    }
  }
  return { anchors, intermediates, minimum: options.minTimestamps ?? 1 };
}
