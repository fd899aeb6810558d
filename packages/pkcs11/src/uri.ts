/**
 * RFC 7512 `pkcs11:` URIs with the behaviour, test vectors and error texts of the Python tool's `Pkcs11URI`
 * (spec §3.1). Written by hand because no maintained npm package parses RFC 7512 with these rules.
 *
 * Values are stored as bytes. {@link Pkcs11Uri.getPathAttribute} returns them one character per byte
 * (Latin-1), as Python does; {@link Pkcs11Uri.getPathAttributeText} decodes UTF-8, which is what token and
 * object labels are compared with (RFC 7512 §2.3 says textual values are UTF-8).
 * @module
 */
import { readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { Pkcs11Error, redactPin } from './errors.js';

const PREFIX = 'pkcs11:';
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8');

/** Characters every value keeps unescaped: RFC 3986 unreserved plus the sub-delims RFC 7512 allows. */
const ALWAYS_KEPT = new Set("-._~:[]@!$'()*+,=");
/** Kept only in path values (`pk11-path-res-avail`). */
const PATH_KEPT = new Set('&');
/** Kept only in query values (`pk11-query-res-avail`). */
const QUERY_KEPT = new Set('/?|');

function isAlnum(byte: number): boolean {
  return (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a);
}

function hex2(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

/**
 * Percent-encodes `value` for a path (`isPath`) or query attribute, exactly as Python's `escape`: letters,
 * digits, `-._~:[]@!$'()*+,=` are kept, `&` too in the path, `/?|` too in the query, everything else is `%XX`.
 */
export function escapeValue(value: Uint8Array, isPath: boolean): string {
  let out = '';
  for (const byte of value) {
    const ch = String.fromCharCode(byte);
    if (isAlnum(byte) || ALWAYS_KEPT.has(ch) || (isPath ? PATH_KEPT : QUERY_KEPT).has(ch)) out += ch;
    else out += hex2(byte);
  }
  return out;
}

/** Percent-encodes every byte (`id` values are always written this way). */
export function escapeAll(value: Uint8Array): string {
  let out = '';
  for (const byte of value) out += hex2(byte);
  return out;
}

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  return -1;
}

/**
 * Percent-decodes `value` to bytes like Python's `urllib.parse.unquote_to_bytes`: `%XX` in either case is a
 * byte, an invalid escape (`%4`, `%zz`) stays literal, `+` is not a space, other characters are UTF-8.
 */
export function percentDecode(value: string): Uint8Array {
  const raw = utf8.encode(value);
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x25 && i + 2 < raw.length) {
      const hi = hexValue(raw[i + 1] ?? 0);
      const lo = hexValue(raw[i + 2] ?? 0);
      if (hi >= 0 && lo >= 0) {
        out.push(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out.push(byte);
  }
  return Uint8Array.from(out);
}

function latin1(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += String.fromCharCode(byte);
  return out;
}

function uriError(message: string): Pkcs11Error {
  return new Pkcs11Error('URI_INVALID', message);
}

/**
 * A parsed or constructed RFC 7512 URI. Attribute names are not restricted (vendor attributes are kept);
 * only `slot-id`, `token`, `id`, `object`, `pin-value`, `pin-source`, `module-path` and `module-name` are
 * used to find a key, everything else is only validated.
 */
export class Pkcs11Uri {
  private readonly path = new Map<string, Uint8Array>();
  private readonly query = new Map<string, Uint8Array>();

  /**
   * Parses `uri`. Throws {@link Pkcs11Error} (`URI_MALFORMED` or `URI_INVALID`) with the Python tool's texts.
   */
  static parse(uri: string): Pkcs11Uri {
    const parsed = new Pkcs11Uri();
    parsed.parse(uri);
    return parsed;
  }

  /**
   * Replaces this URI's attributes by those of `uri` (Python's `Pkcs11URI.parse`).
   * @throws {@link Pkcs11Error} `URI_MALFORMED` or `URI_INVALID`.
   */
  parse(uri: string): void {
    if (!uri.startsWith(PREFIX)) {
      // Python quotes the whole URI here; the PIN is masked because a URI can carry one.
      throw new Pkcs11Error(
        'URI_MALFORMED',
        `Malformed pkcs11 URI: missing 'pkcs11:' prefix: ${redactPin(uri)}`,
      );
    }
    this.path.clear();
    this.query.clear();
    const rest = uri.slice(PREFIX.length);
    const q = rest.indexOf('?');
    const pathPart = q < 0 ? rest : rest.slice(0, q);
    if (pathPart.length > 0) {
      for (const piece of pathPart.split(';')) {
        const eq = piece.indexOf('=');
        if (eq < 0) throw new Pkcs11Error('URI_MALFORMED', 'Malformed pkcs11 URI: malformed path attribute');
        this.addPathAttribute(piece.slice(0, eq), piece.slice(eq + 1));
      }
    }
    if (q >= 0) {
      for (const piece of rest.slice(q + 1).split('&')) {
        const eq = piece.indexOf('=');
        if (eq < 0) throw new Pkcs11Error('URI_MALFORMED', 'Malformed pkcs11 URI: malformed query attribute');
        this.addQueryAttribute(piece.slice(0, eq), piece.slice(eq + 1));
      }
    }
    this.validate();
  }

  /**
   * Checks the attribute values (Python's `validate()`): `slot-id` must contain a digit, `library-version`
   * is `N` or `N.M`, `type` is one of the RFC 7512 object classes, not both `pin-source` and `pin-value`,
   * and `module-path` is absolute.
   * @throws {@link Pkcs11Error} `URI_INVALID`.
   */
  validate(): void {
    const slotId = this.getPathAttribute('slot-id');
    if (slotId !== undefined && !/[0-9]/.test(slotId)) throw uriError(`slot-id must be a number: ${slotId}`);
    const version = this.getPathAttribute('library-version');
    if (version !== undefined && !/^[0-9]+(\.[0-9]+)?$/.test(version)) {
      throw uriError(`Invalid format for library-version '${version}'`);
    }
    const type = this.getPathAttribute('type');
    if (type !== undefined && !/^(public|private|cert|secret-key|data)?$/.test(type)) {
      throw uriError(`Invalid type '${type}'`);
    }
    if (this.query.has('pin-source') && this.query.has('pin-value')) {
      throw uriError('URI must not contain pin-source and pin-value');
    }
    const modulePath = this.getQueryAttributeText('module-path');
    if (modulePath !== undefined && !isAbsolute(modulePath)) {
      throw uriError(`path ${modulePath} of module-path attribute must be absolute`);
    }
  }

  /**
   * The URI text: `pkcs11:` + path attributes in insertion order joined by `;`, then `?` + query attributes
   * joined by `&` when there are any. `id` is always fully percent-encoded. Validates first.
   * The result contains the PIN when there is a `pin-value`; use {@link Pkcs11Uri.toString} for logs.
   */
  format(): string {
    this.validate();
    let out = PREFIX + Pkcs11Uri.formatAttributes(this.path, true);
    if (this.query.size > 0) out += `?${Pkcs11Uri.formatAttributes(this.query, false)}`;
    return out;
  }

  /** The formatted URI with any `pin-value` masked as `***`: safe for logs and error messages. */
  toString(): string {
    return redactPin(this.format());
  }

  private static formatAttributes(attributes: Map<string, Uint8Array>, isPath: boolean): string {
    const parts: string[] = [];
    for (const [name, value] of attributes) {
      parts.push(`${name}=${name === 'id' ? escapeAll(value) : escapeValue(value, isPath)}`);
    }
    return parts.join(isPath ? ';' : '&');
  }

  /** Names of the path attributes, in insertion order. */
  pathAttributeNames(): string[] {
    return [...this.path.keys()];
  }

  /** Names of the query attributes, in insertion order. */
  queryAttributeNames(): string[] {
    return [...this.query.keys()];
  }

  /**
   * A path attribute one character per byte (as Python returns it), or percent-encoded again when
   * `pctEncode` is true. `undefined` when absent.
   */
  getPathAttribute(name: string, pctEncode = false): string | undefined {
    const value = this.path.get(name);
    if (value === undefined) return undefined;
    return pctEncode ? escapeValue(value, true) : latin1(value);
  }

  /** A path attribute's bytes (a copy), or `undefined`. */
  getPathAttributeBytes(name: string): Uint8Array | undefined {
    const value = this.path.get(name);
    return value === undefined ? undefined : value.slice();
  }

  /** A path attribute decoded as UTF-8 (labels, token names), or `undefined`. */
  getPathAttributeText(name: string): string | undefined {
    const value = this.path.get(name);
    return value === undefined ? undefined : utf8Decoder.decode(value);
  }

  /**
   * Sets a path attribute (replacing any old value, keeping its position). `value` is percent-encoded text,
   * or, when `pctEncode` is true, the plain text (stored as its UTF-8 bytes).
   */
  setPathAttribute(name: string, value: string, pctEncode = false): void {
    this.path.set(name, pctEncode ? utf8.encode(value) : percentDecode(value));
  }

  /**
   * Sets a path attribute to raw bytes. Python decodes them as UTF-8 and keeps only the low byte of each
   * character, which garbles non-ASCII values; here the bytes are stored as given.
   */
  setPathAttributeUnencoded(name: string, value: Uint8Array): void {
    this.path.set(name, value.slice());
  }

  /** Like {@link Pkcs11Uri.setPathAttribute} but refuses an existing name (`duplicate path attribute`). */
  addPathAttribute(name: string, value: string, pctEncode = false): void {
    if (this.path.has(name)) throw Pkcs11Uri.duplicate('path', name);
    this.setPathAttribute(name, value, pctEncode);
  }

  /** Like {@link Pkcs11Uri.setPathAttributeUnencoded} but refuses an existing name. */
  addPathAttributeUnencoded(name: string, value: Uint8Array): void {
    if (this.path.has(name)) throw Pkcs11Uri.duplicate('path', name);
    this.setPathAttributeUnencoded(name, value);
  }

  /** Removes a path attribute if present. */
  removePathAttribute(name: string): void {
    this.path.delete(name);
  }

  /** A query attribute one character per byte, or percent-encoded again when `pctEncode` is true. */
  getQueryAttribute(name: string, pctEncode = false): string | undefined {
    const value = this.query.get(name);
    if (value === undefined) return undefined;
    return pctEncode ? escapeValue(value, false) : latin1(value);
  }

  /** A query attribute's bytes (a copy), or `undefined`. */
  getQueryAttributeBytes(name: string): Uint8Array | undefined {
    const value = this.query.get(name);
    return value === undefined ? undefined : value.slice();
  }

  /** A query attribute decoded as UTF-8 (paths, module names, PINs), or `undefined`. */
  getQueryAttributeText(name: string): string | undefined {
    const value = this.query.get(name);
    return value === undefined ? undefined : utf8Decoder.decode(value);
  }

  /** Sets a query attribute; see {@link Pkcs11Uri.setPathAttribute} for `pctEncode`. */
  setQueryAttribute(name: string, value: string, pctEncode = false): void {
    this.query.set(name, pctEncode ? utf8.encode(value) : percentDecode(value));
  }

  /** Sets a query attribute to raw bytes (stored as given). */
  setQueryAttributeUnencoded(name: string, value: Uint8Array): void {
    this.query.set(name, value.slice());
  }

  /** Like {@link Pkcs11Uri.setQueryAttribute} but refuses an existing name (`duplicate query attribute`). */
  addQueryAttribute(name: string, value: string, pctEncode = false): void {
    if (this.query.has(name)) throw Pkcs11Uri.duplicate('query', name);
    this.setQueryAttribute(name, value, pctEncode);
  }

  /** Like {@link Pkcs11Uri.setQueryAttributeUnencoded} but refuses an existing name. */
  addQueryAttributeUnencoded(name: string, value: Uint8Array): void {
    if (this.query.has(name)) throw Pkcs11Uri.duplicate('query', name);
    this.setQueryAttributeUnencoded(name, value);
  }

  /** Removes a query attribute if present. */
  removeQueryAttribute(name: string): void {
    this.query.delete(name);
  }

  private static duplicate(kind: 'path' | 'query', name: string): Pkcs11Error {
    return new Pkcs11Error('URI_MALFORMED', `Malformed pkcs11 URI: duplicate ${kind} attribute '${name}'`);
  }

  /** Whether the URI carries a PIN (`pin-value` or `pin-source`); without one no login is done. */
  hasPin(): boolean {
    return this.query.has('pin-value') || this.query.has('pin-source');
  }

  /**
   * The PIN: `pin-value` verbatim, or the content of the `pin-source` file (`file:/abs`, `file:///abs` or
   * `/abs`) with ONE trailing newline (`\n` or `\r\n`) dropped. Python keeps the newline, which makes every
   * `echo 1234 > pinfile` fail at login; decision 27 drops it.
   * @throws {@link Pkcs11Error} `PIN_UNAVAILABLE` (the message never contains the PIN).
   */
  getPin(): string {
    const value = this.getQueryAttributeText('pin-value');
    if (value !== undefined) return value;
    const source = this.getQueryAttributeText('pin-source');
    if (source === undefined) {
      throw new Pkcs11Error('PIN_UNAVAILABLE', 'Neither pin-source nor pin-value are available');
    }
    const file = pinSourcePath(source);
    let content: string;
    try {
      content = readFileSync(file, 'utf8');
    } catch (error) {
      const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
      throw new Pkcs11Error(
        'PIN_UNAVAILABLE',
        `Cannot read the PIN file '${file}' named by pin-source (${reason})`,
      );
    }
    return content.replace(/\r?\n$/, '');
  }

  /**
   * The key's `id` (bytes) and `object` label (UTF-8) from the path.
   * @throws {@link Pkcs11Error} `URI_INVALID` when neither is present.
   */
  getKeyIdAndLabel(): { id?: Uint8Array; label?: string } {
    const id = this.getPathAttributeBytes('id');
    const label = this.getPathAttributeText('object');
    if (id === undefined && label === undefined) {
      throw uriError("Neither 'id' nor 'object' attributes were found in pkcs11 URI");
    }
    return { ...(id !== undefined ? { id } : {}), ...(label !== undefined ? { label } : {}) };
  }
}

/**
 * The file a `pin-source` names, read like Python's `urlparse`: scheme empty or `file`, an optional
 * `//authority`, query and fragment ignored, and the path must be absolute.
 */
function pinSourcePath(source: string): string {
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):(.*)$/s.exec(source);
  let scheme = '';
  let rest = source;
  if (schemeMatch) {
    scheme = schemeMatch[1]!.toLowerCase();
    rest = schemeMatch[2]!;
  }
  if (scheme !== '' && scheme !== 'file') {
    // Python's text ends in a literal "{v}" (a missing f-string); the value is named here instead.
    throw new Pkcs11Error('PIN_UNAVAILABLE', `PIN URI scheme ${scheme} is not supported: ${source}`);
  }
  if (rest.startsWith('//')) {
    const slash = rest.indexOf('/', 2);
    rest = slash < 0 ? '' : rest.slice(slash);
  }
  const path = rest.replace(/[?#].*$/s, '');
  if (!isAbsolute(path)) throw new Pkcs11Error('PIN_UNAVAILABLE', `PIN URI path '${path}' is not absolute`);
  return path;
}

/** Parses a `pkcs11:` URI; shorthand for {@link Pkcs11Uri.parse}. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  return Pkcs11Uri.parse(uri);
}
