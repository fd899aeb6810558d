/**
 * Opening a read-only session on the token a URI names (spec §3.4): load the module once per process,
 * pick the slot by `slot-id` and/or `token` label, log in when there is a PIN, and undo all of it on close
 * and on every error path.
 * @module
 */
import { realpathSync } from 'node:fs';
import { endianness } from 'node:os';
import type * as Graphene from 'graphene-pk11';
import { Pkcs11Error, type Pkcs11ErrorCode } from './errors.js';
import { findModule, type ModuleSearchOptions } from './module-search.js';
import type { Pkcs11Uri } from './uri.js';

/** The graphene-pk11 module object (`module.exports` of a CommonJS package). */
export type GrapheneApi = typeof Graphene;

let grapheneLoad: Promise<GrapheneApi> | undefined;

/**
 * graphene-pk11 pulls in the native pkcs11js addon, so it is loaded only when a token is opened: the URI
 * parser works (and the package imports) on machines where the addon could not be built.
 */
async function loadGraphene(): Promise<GrapheneApi> {
  // A CommonJS package: Node puts `module.exports` on `default`.
  grapheneLoad ??= import('graphene-pk11').then((imported) => imported.default as unknown as GrapheneApi);
  try {
    return await grapheneLoad;
  } catch (error) {
    grapheneLoad = undefined;
    const message = pkcs11jsNotBuilt(error)
      ? 'The native PKCS #11 binding is missing: pkcs11js was not built (its install script did not run); ' +
        'run `npm rebuild pkcs11js`, or approve its build script (`pnpm approve-builds`, ' +
        '`npm approve-scripts pkcs11js`) and install again'
      : `The native PKCS #11 binding (graphene-pk11/pkcs11js) cannot be loaded: ${firstLine(error)}`;
    throw new Pkcs11Error('MODULE_LOAD_FAILED', message, { cause: error });
  }
}

/** pkcs11js's compiled addon is absent: its install script (node-gyp) was skipped, as pnpm and npm may do. */
function pkcs11jsNotBuilt(error: unknown): boolean {
  return (
    (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' &&
    /build[/\\]Release[/\\]pkcs11\.node/.test(firstLine(error))
  );
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0] ?? text;
}

/** The `CKR_*` name of a PKCS #11 failure, or `undefined` when `error` is something else. */
export function ckrName(error: unknown): string | undefined {
  const message = error instanceof Error ? error.message : '';
  return /^CKR_[A-Z0-9_]+/.exec(message)?.[0];
}

/** Wraps a failure of a PKCS #11 call in a {@link Pkcs11Error} naming the step and the `CKR_*` code. */
export function tokenError(code: Pkcs11ErrorCode, step: string, error: unknown): Pkcs11Error {
  if (error instanceof Pkcs11Error) return error;
  return new Pkcs11Error(code, `${step} failed: ${ckrName(error) ?? firstLine(error)}`, { cause: error });
}

/**
 * A loaded and initialised module. C_Initialize is per process, and a second C_Initialize fails, so every
 * key opened on the same library shares one entry; the last close finalises it.
 */
interface LoadedModule {
  readonly file: string;
  readonly module: Graphene.Module;
  /** False when somebody else in this process had initialised the library: then we never finalise it. */
  readonly ownsInitialize: boolean;
  refs: number;
  /** Open logged-in sessions per slot id: login state is per token and application, not per session. */
  readonly logins: Map<number, number>;
}

const loadedModules = new Map<string, LoadedModule>();

function acquireModule(graphene: GrapheneApi, file: string): LoadedModule {
  let key = file;
  try {
    key = realpathSync(file);
  } catch {
    // findModule checked that it exists; a race only costs sharing.
  }
  const existing = loadedModules.get(key);
  if (existing !== undefined) {
    existing.refs++;
    return existing;
  }
  let module: Graphene.Module;
  try {
    module = graphene.Module.load(file);
  } catch (error) {
    throw new Pkcs11Error('MODULE_LOAD_FAILED', `Cannot load PKCS #11 module ${file}: ${firstLine(error)}`, {
      cause: error,
    });
  }
  let ownsInitialize = true;
  try {
    // pkcs11js directly: graphene's Module.initialize() hides CKR_CRYPTOKI_ALREADY_INITIALIZED, and then we
    // could not tell whether the finalize on close is ours to do.
    module.lib.C_Initialize();
  } catch (error) {
    if (ckrName(error) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      ownsInitialize = false;
    } else {
      safely(() => module.close());
      throw tokenError('MODULE_LOAD_FAILED', `Initialising PKCS #11 module ${file}`, error);
    }
  }
  const entry: LoadedModule = { file: key, module, ownsInitialize, refs: 1, logins: new Map() };
  loadedModules.set(key, entry);
  return entry;
}

function releaseModule(entry: LoadedModule): void {
  entry.refs--;
  if (entry.refs > 0) return;
  loadedModules.delete(entry.file);
  if (entry.ownsInitialize) safely(() => entry.module.finalize());
  safely(() => entry.module.close());
}

/** Runs a cleanup step whose failure must not hide the original error or stop the other steps. */
function safely(step: () => void): void {
  try {
    step();
  } catch {
    // Cleanup is best effort: the session or library may already be gone.
  }
}

/** Number of modules this process holds loaded (for tests that check nothing is left open). */
export function openModuleCount(): number {
  return loadedModules.size;
}

/** A CK_SLOT_ID from pkcs11js's handle buffer (a native-endian CK_ULONG). */
function slotIdOf(handle: Buffer): number {
  if (handle.length === 4) return endianness() === 'LE' ? handle.readUInt32LE(0) : handle.readUInt32BE(0);
  const wide = endianness() === 'LE' ? handle.readBigUInt64LE(0) : handle.readBigUInt64BE(0);
  return Number(wide);
}

/**
 * The URI's `slot-id` as a number. Python converts with `int()`; `1a` (which passes validation because it
 * contains a digit) gets Python's validation text here instead of `int()`'s message.
 */
function parseSlotId(uri: Pkcs11Uri): number | undefined {
  const text = uri.getPathAttribute('slot-id');
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^[+-]?[0-9]+$/.test(trimmed))
    throw new Pkcs11Error('URI_INVALID', `slot-id must be a number: ${text}`);
  const value = BigInt(trimmed);
  if (value < 0n) throw new Pkcs11Error('URI_INVALID', 'slot-id is a negative number');
  if (value > 0xffffffffn) throw new Pkcs11Error('URI_INVALID', 'slot-id is larger than 32 bit');
  return Number(value);
}

/** A token label as stored: 32 bytes blank-padded (sometimes NUL-terminated); compared without padding. */
function unpad(label: string): string {
  return label.replace(/\0.*$/s, '').trimEnd();
}

/** CKF_TOKEN_INITIALIZED of CK_TOKEN_INFO.flags. */
const CKF_TOKEN_INITIALIZED = 0x400;

interface TokenState {
  readonly label: string;
  readonly initialized: boolean;
}

function tokenStateOf(slot: Graphene.Slot): TokenState | undefined {
  try {
    const info = slot.lib.C_GetTokenInfo(slot.handle);
    return { label: unpad(info.label), initialized: (info.flags & CKF_TOKEN_INITIALIZED) !== 0 };
  } catch {
    return undefined;
  }
}

function tokenLabelOf(slot: Graphene.Slot): string | undefined {
  return tokenStateOf(slot)?.label;
}

function selectSlot(
  module: Graphene.Module,
  slotId: number | undefined,
  token: string | undefined,
): Graphene.Slot {
  if (slotId !== undefined) {
    let slot: Graphene.Slot | undefined;
    for (const candidate of module.getSlots(false)) {
      if (slotIdOf(candidate.handle) === slotId) slot = candidate;
    }
    if (slot === undefined)
      throw new Pkcs11Error('TOKEN_NOT_FOUND', `There is no slot with slot-id ${slotId}`);
    const state = tokenStateOf(slot);
    if (state === undefined) throw new Pkcs11Error('TOKEN_NOT_FOUND', `There is no token in slot ${slotId}`);
    if (token !== undefined && state.label !== unpad(token)) {
      throw new Pkcs11Error('TOKEN_NOT_FOUND', `The token in slot ${slotId} is not called '${token}'`);
    }
    if (!state.initialized) {
      throw new Pkcs11Error('TOKEN_NOT_FOUND', `The token in slot ${slotId} is not initialised`);
    }
    return slot;
  }
  if (token === undefined) throw new Pkcs11Error('TOKEN_NOT_FOUND', 'Need a token due to missing slot-id');
  // Only slots with a token; a slot whose token info fails is skipped (spec §3.4, recommended for TS).
  for (const slot of module.getSlots(true)) {
    if (tokenLabelOf(slot) === unpad(token)) return slot;
  }
  throw new Pkcs11Error('TOKEN_NOT_FOUND', `Could not find a token with label ${token} in any slots`);
}

function loginError(error: unknown, token: string): Pkcs11Error {
  const reasons: Record<string, string> = {
    CKR_PIN_INCORRECT: 'the PIN is incorrect',
    CKR_PIN_LOCKED: 'the PIN is locked',
    CKR_PIN_EXPIRED: 'the PIN has expired',
    CKR_PIN_LEN_RANGE: 'the PIN has a length the token does not accept',
    CKR_PIN_INVALID: 'the PIN contains characters the token does not accept',
  };
  const name = ckrName(error);
  const reason = (name !== undefined ? reasons[name] : undefined) ?? name ?? firstLine(error);
  return new Pkcs11Error('LOGIN_FAILED', `Login to PKCS #11 token '${token}' failed: ${reason}`, {
    cause: error,
  });
}

/** An open session on the selected token. */
export interface TokenSession {
  /** The graphene-pk11 API (for enums such as `ObjectClass`). */
  readonly graphene: GrapheneApi;
  /** The read-only session. */
  readonly session: Graphene.Session;
  /** The CK_SLOT_ID of the token's slot. */
  readonly slotId: number;
  /** The token's label without padding. */
  readonly tokenLabel: string;
  /** The module file in use. */
  readonly modulePath: string;
  /** Logs out (when this is our last logged-in session on the token), closes the session, releases the module. */
  close(): void;
}

/**
 * Opens a read-only session on the token the URI names and logs in when the URI has a PIN. The order of
 * checks is Python's: PIN, module, slot-id, then the token. On any failure everything opened so far is
 * closed again before the error is thrown.
 * @throws {@link Pkcs11Error}
 */
export async function openTokenSession(
  uri: Pkcs11Uri,
  options: ModuleSearchOptions = {},
): Promise<TokenSession> {
  const pin = uri.hasPin() ? uri.getPin() : undefined;
  const modulePath = findModule(uri, options);
  const slotId = parseSlotId(uri);
  const token = uri.getPathAttributeText('token');
  if (slotId === undefined && token === undefined) {
    throw new Pkcs11Error('TOKEN_NOT_FOUND', 'Need a token due to missing slot-id');
  }
  const graphene = await loadGraphene();
  const entry = acquireModule(graphene, modulePath);
  let session: Graphene.Session | undefined;
  let loggedInSlot: number | undefined;
  const undo = (): void => {
    if (loggedInSlot !== undefined) {
      const remaining = (entry.logins.get(loggedInSlot) ?? 1) - 1;
      if (remaining > 0) entry.logins.set(loggedInSlot, remaining);
      else {
        entry.logins.delete(loggedInSlot);
        // Logging out ends the login of every session of this process on the token, so only the last does.
        const open = session;
        if (open !== undefined) safely(() => open.logout());
      }
      loggedInSlot = undefined;
    }
    const open = session;
    session = undefined;
    if (open !== undefined) safely(() => open.close());
    releaseModule(entry);
  };
  try {
    const slot = selectSlot(entry.module, slotId, token);
    const id = slotIdOf(slot.handle);
    const label = tokenLabelOf(slot) ?? token ?? '';
    try {
      session = slot.open(graphene.SessionFlag.SERIAL_SESSION);
    } catch (error) {
      throw tokenError(
        'TOKEN_ERROR',
        `Opening a session on the PKCS #11 token '${label}' in slot ${id}`,
        error,
      );
    }
    if (pin !== undefined) {
      try {
        session.login(pin, graphene.UserType.USER);
      } catch (error) {
        // Another open key of this process already logged in to this token; the login state is shared.
        if (ckrName(error) !== 'CKR_USER_ALREADY_LOGGED_IN') throw loginError(error, label);
      }
      loggedInSlot = id;
      entry.logins.set(id, (entry.logins.get(id) ?? 0) + 1);
    }
    const opened = session;
    let closed = false;
    return {
      graphene,
      session: opened,
      slotId: id,
      tokenLabel: label,
      modulePath,
      close(): void {
        if (closed) return;
        closed = true;
        undo();
      },
    };
  } catch (error) {
    undo();
    throw error;
  }
}
