import { SigstoreError } from '@model-signing/core';
import {
  type Service,
  type ServiceConfiguration,
  ServiceSelector,
  type SigningConfig,
} from '@sigstore/protobuf-specs';

/** A service chosen for signing. */
export interface SelectedService {
  /** Its URL. */
  readonly url: string;
  /** Its major API version. */
  readonly majorApiVersion: number;
}

/** The services one signing operation uses. */
export interface SelectedServices {
  /** The Fulcio CA. */
  readonly fulcio: SelectedService;
  /** The transparency logs to write to (at least one). */
  readonly rekors: readonly SelectedService[];
  /** The timestamp authorities to ask (possibly none). */
  readonly tsas: readonly SelectedService[];
  /** The OIDC issuer for the interactive flow, when the config names one. */
  readonly oidc: SelectedService | undefined;
}

const SUPPORTED = { ca: [1], rekor: [1, 2], tsa: [1], oidc: [1] } as const;

function validNow(service: Service, now: Date): boolean {
  const start = service.validFor?.start;
  const end = service.validFor?.end;
  return (!start || start <= now) && (!end || now < end);
}

/** Services of one kind with a supported version, valid now, and per operator only the highest version. */
function usable(services: readonly Service[], versions: readonly number[], now: Date): Service[] {
  const candidates = services.filter((s) => versions.includes(s.majorApiVersion) && validNow(s, now));
  const best = new Map<string, number>();
  for (const s of candidates) best.set(s.operator, Math.max(best.get(s.operator) ?? 0, s.majorApiVersion));
  return candidates.filter((s) => s.majorApiVersion === best.get(s.operator));
}

/** Applies a ServiceConfiguration selector as the Python tool does (ALL/undefined: all, ANY: first, EXACT: count). */
function select(services: Service[], config: ServiceConfiguration | undefined): Service[] {
  switch (config?.selector) {
    case ServiceSelector.ANY:
      return services.slice(0, 1);
    case ServiceSelector.EXACT:
      if (services.length < config.count) {
        throw new SigstoreError(
          'SIGNING_CONFIG_ERROR',
          `Expected ${config.count} services in signing config, found ${services.length}`,
        );
      }
      return services.slice(0, config.count);
    default:
      return services;
  }
}

const pick = (s: Service): SelectedService => ({
  url: s.url.replace(/\/+$/, ''),
  majorApiVersion: s.majorApiVersion,
});

/**
 * Chooses Fulcio, Rekor, TSA and OIDC services from a signing config (OCI/trust spec §2.4). Written here rather
 * than taken from `bundleBuilderFromSigningConfig`, which ignores `oidcUrls` and `count` and throws on `ALL`.
 */
export function selectServices(config: SigningConfig, now: Date = new Date()): SelectedServices {
  const fulcio = usable(config.caUrls, SUPPORTED.ca, now)[0];
  if (!fulcio) throw new SigstoreError('SIGNING_CONFIG_ERROR', 'No valid Fulcio CA found in signing config');
  const rekors = select(usable(config.rekorTlogUrls, SUPPORTED.rekor, now), config.rekorTlogConfig);
  if (rekors.length === 0) {
    throw new SigstoreError(
      'SIGNING_CONFIG_ERROR',
      'No valid Rekor transparency log found in signing config',
    );
  }
  const tsas = select(usable(config.tsaUrls, SUPPORTED.tsa, now), config.tsaConfig);
  const oidc = usable(config.oidcUrls, SUPPORTED.oidc, now)[0];
  return { fulcio: pick(fulcio), rekors: rekors.map(pick), tsas: tsas.map(pick), oidc: oidc && pick(oidc) };
}
