/**
 * An ECDSA signing key held in a PKCS #11 token: the private key signs on the token (`CKM_ECDSA` over a
 * host-computed hash), the public key is read from the token's public-key object (spec §3.5–§3.7).
 * @module
 */
import { createPublicKey, verify } from 'node:crypto';
import type * as Graphene from 'graphene-pk11';
import {
  curveFromEcParams,
  digestFor,
  type Pkcs11Curve,
  rawSignatureToDer,
  spkiFromPoint,
  spkiToPem,
  unwrapEcPoint,
} from './ec.js';
import { Pkcs11Error } from './errors.js';
import type { ModuleSearchOptions } from './module-search.js';
import { openTokenSession, type TokenSession, tokenError } from './session.js';
import { escapeAll, Pkcs11Uri } from './uri.js';

/** CKA_EC_PARAMS and CKA_EC_POINT (PKCS #11 v2.40 §2.3); read by number, graphene aliases their names. */
const CKA_EC_PARAMS = 0x180;
const CKA_EC_POINT = 0x181;

/**
 * Options of {@link openPkcs11Key} and {@link exportPublicKeyPem}: `modulePaths` (directories searched for
 * the URI's `module-name`, replacing the defaults when non-empty) and an optional `allowedModulePaths`.
 */
export type OpenPkcs11KeyOptions = ModuleSearchOptions;

/**
 * A key on a token, structurally an `EcdsaKeySigner` of `@model-signing/signing`: give it to
 * `createKeyBundleSigner` or `createCertificateBundleSigner`. Holds an open session until `close()`.
 */
export interface Pkcs11Key {
  /** The curve of the key; it decides the hash (SHA-256, SHA-384, SHA-512). */
  readonly curve: Pkcs11Curve;
  /** DER SubjectPublicKeyInfo built from the token's CKA_EC_PARAMS and CKA_EC_POINT. */
  readonly publicKeySpki: Uint8Array;
  /** The same public key as PEM text. */
  readonly publicKeyPem: string;
  /** Label of the token the key is on. */
  readonly tokenLabel: string;
  /** The slot the token is in (SoftHSM assigns random slot ids). */
  readonly slotId: number;
  /** The private key's CKA_LABEL, when it has one. */
  readonly label?: string;
  /** The private key's CKA_ID, when it has one. */
  readonly id?: Uint8Array;
  /**
   * Hashes `data` with the curve's hash on the host, signs the digest with `CKM_ECDSA` on the token and
   * returns a DER ECDSA-Sig-Value. Calls are serialised: a PKCS #11 session runs one operation at a time.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  /** Logs out, closes the session and releases (finalises) the module. Safe to call twice. */
  close(): Promise<void>;
}

interface Selector {
  readonly id?: Uint8Array;
  readonly label?: string;
}

function describe(selector: Selector): string {
  const parts: string[] = [];
  if (selector.label !== undefined) parts.push(`label '${selector.label}'`);
  // Python prints a bytes repr; the URI's own %XX form is what the user wrote.
  if (selector.id !== undefined) parts.push(`id ${escapeAll(selector.id)}`);
  return parts.join(' and ');
}

function findObject(
  opened: TokenSession,
  objectClass: number,
  selector: Selector,
): Graphene.SessionObject | undefined {
  const template: Graphene.ITemplate = { class: objectClass };
  if (selector.id !== undefined) template.id = Buffer.from(selector.id);
  if (selector.label !== undefined) template.label = selector.label;
  try {
    const found = opened.session.find(template);
    return found.length > 0 ? found.items(0) : undefined;
  } catch (error) {
    throw tokenError('TOKEN_ERROR', `Searching PKCS #11 token '${opened.tokenLabel}'`, error);
  }
}

function keyTypeName(graphene: TokenSession['graphene'], type: number): string {
  return graphene.KeyType[type] ?? `0x${type.toString(16)}`;
}

/** Reads CKA_KEY_TYPE and refuses everything but EC keys. */
function requireEcKey(opened: TokenSession, object: Graphene.SessionObject, what: string): void {
  let type: number;
  try {
    type = object.getAttribute('keyType') as number;
  } catch (error) {
    throw tokenError('TOKEN_ERROR', `Reading the key type of ${what}`, error);
  }
  if (type !== opened.graphene.KeyType.EC) {
    throw new Pkcs11Error(
      'UNSUPPORTED_KEY',
      `Only elliptic curve keys are supported: ${what} is of type ${keyTypeName(opened.graphene, type)}`,
    );
  }
}

/** The curve and SPKI of a public-key object. */
function readPublicKey(opened: TokenSession, object: Graphene.SessionObject, what: string) {
  requireEcKey(opened, object, what);
  let params: Buffer;
  let point: Buffer;
  try {
    params = object.getAttribute(CKA_EC_PARAMS);
    point = object.getAttribute(CKA_EC_POINT);
  } catch (error) {
    throw tokenError('TOKEN_ERROR', `Reading CKA_EC_PARAMS/CKA_EC_POINT of ${what}`, error);
  }
  const info = curveFromEcParams(params);
  const spki = spkiFromPoint(unwrapEcPoint(point, info), info);
  return { info, spki };
}

function toUri(uri: string | Pkcs11Uri): Pkcs11Uri {
  return typeof uri === 'string' ? Pkcs11Uri.parse(uri) : uri;
}

function selectorOf(uri: Pkcs11Uri): Selector {
  return uri.getKeyIdAndLabel();
}

function readOptional<T>(read: () => T): T | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * Opens the EC private key a `pkcs11:` URI names, with its public key, for signing. The token is chosen by
 * `slot-id` and/or `token`, the key by `id` and/or `object`; `pin-value`/`pin-source` log in;
 * `module-path`/`module-name` find the module (see `modulePaths` of {@link OpenPkcs11KeyOptions}). The token must
 * hold a public-key object with the same `id`/label. Nothing stays open when this throws.
 * @throws {@link Pkcs11Error} with a one-line message that never contains the PIN.
 */
export async function openPkcs11Key(
  uri: string | Pkcs11Uri,
  options: OpenPkcs11KeyOptions = {},
): Promise<Pkcs11Key> {
  const parsed = toUri(uri);
  const opened = await openTokenSession(parsed, options);
  try {
    const selector = selectorOf(parsed);
    const { graphene } = opened;
    const privateKey = findObject(opened, graphene.ObjectClass.PRIVATE_KEY, selector);
    if (privateKey === undefined) {
      throw new Pkcs11Error(
        'KEY_NOT_FOUND',
        `Could not find a private key with ${describe(selector)} on PKCS #11 token '${opened.tokenLabel}'` +
          (parsed.hasPin()
            ? ''
            : ' (private keys are visible only after login: add pin-value or pin-source)'),
      );
    }
    requireEcKey(opened, privateKey, `the private key with ${describe(selector)}`);
    const label = readOptional(() => privateKey.getAttribute('label') as string);
    const idBuffer = readOptional(() => privateKey.getAttribute('id') as Buffer);
    // Python looks the public key up with the URI's attributes only. When the URI names the key by label,
    // the private key's CKA_ID picks its own public key first (labels need not be unique after a rotation).
    const pairedSelector =
      selector.id === undefined && idBuffer !== undefined && idBuffer.length > 0
        ? { ...selector, id: new Uint8Array(idBuffer) }
        : selector;
    const publicObject =
      findObject(opened, graphene.ObjectClass.PUBLIC_KEY, pairedSelector) ??
      findObject(opened, graphene.ObjectClass.PUBLIC_KEY, selector);
    if (publicObject === undefined) {
      throw new Pkcs11Error(
        'PUBLIC_KEY_NOT_FOUND',
        `PKCS #11 token '${opened.tokenLabel}' holds the private key with ${describe(selector)} but no public-key ` +
          'object for it; signing needs both (store the public key on the token)',
      );
    }
    const { info, spki } = readPublicKey(opened, publicObject, `the public key with ${describe(selector)}`);
    const pem = spkiToPem(spki);
    const publicKey = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    const signingKey = privateKey.toType<Graphene.PrivateKey>();

    let queue: Promise<unknown> = Promise.resolve();
    let closed = false;
    const signDigest = (digest: Uint8Array): Promise<Uint8Array> =>
      new Promise((resolve, reject) => {
        let operation: Graphene.Sign;
        try {
          operation = opened.session.createSign(graphene.MechanismEnum.ECDSA, signingKey);
        } catch (error) {
          reject(tokenError('SIGN_FAILED', `Signing with PKCS #11 key ${describe(selector)}`, error));
          return;
        }
        operation.once(Buffer.from(digest), (error, signature) => {
          if (error)
            reject(tokenError('SIGN_FAILED', `Signing with PKCS #11 key ${describe(selector)}`, error));
          else resolve(new Uint8Array(signature));
        });
      });

    return {
      curve: info.curve,
      publicKeySpki: spki,
      publicKeyPem: pem,
      tokenLabel: opened.tokenLabel,
      slotId: opened.slotId,
      ...(label !== undefined && label !== '' ? { label } : {}),
      ...(idBuffer !== undefined && idBuffer.length > 0 ? { id: new Uint8Array(idBuffer) } : {}),
      sign(data: Uint8Array): Promise<Uint8Array> {
        if (closed) {
          return Promise.reject(new Pkcs11Error('KEY_CLOSED', 'The PKCS #11 key was used after close()'));
        }
        const digest = digestFor(info, data);
        const result = queue
          .then(() => signDigest(digest))
          .then((raw) => {
            const der = rawSignatureToDer(raw, info);
            // Fail closed: a signature that its own public key does not verify (a public-key object that is
            // not the private key's pair) must never reach a bundle.
            if (!verify(info.hash, data, publicKey, der)) {
              throw new Pkcs11Error(
                'SIGN_FAILED',
                `The token's signature does not verify with the public key with ${describe(selector)}: the ` +
                  'public-key object on the token is not the pair of the private key',
              );
            }
            return der;
          });
        queue = result.catch(() => undefined);
        return result;
      },
      async close(): Promise<void> {
        if (closed) return;
        closed = true;
        await queue;
        opened.close();
      },
    };
  } catch (error) {
    opened.close();
    throw error;
  }
}

/**
 * The PEM (`-----BEGIN PUBLIC KEY-----`) of the public key a `pkcs11:` URI names, read from the token's
 * public-key object (Debian's opensc cannot export EC public keys). Logs in only when the URI has a PIN.
 * @throws {@link Pkcs11Error}
 */
export async function exportPublicKeyPem(
  uri: string | Pkcs11Uri,
  options: OpenPkcs11KeyOptions = {},
): Promise<string> {
  const parsed = toUri(uri);
  const opened = await openTokenSession(parsed, options);
  try {
    const selector = selectorOf(parsed);
    const object = findObject(opened, opened.graphene.ObjectClass.PUBLIC_KEY, selector);
    if (object === undefined) {
      throw new Pkcs11Error(
        'PUBLIC_KEY_NOT_FOUND',
        `Could not find a public key with ${describe(selector)} on PKCS #11 token '${opened.tokenLabel}'` +
          (parsed.hasPin() ? '' : ' (if the token hides its public objects, add pin-value or pin-source)'),
      );
    }
    return spkiToPem(readPublicKey(opened, object, `the public key with ${describe(selector)}`).spki);
  } finally {
    opened.close();
  }
}
