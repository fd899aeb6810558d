/**
 * @packageDocumentation
 * PKCS #11 keys for model signing: an RFC 7512 `pkcs11:` URI parser with the Python tool's rules, module
 * search, and EC keys held in a token (SoftHSM, HSMs, smart cards) that sign on the token. This package
 * depends on no other `@model-signing` package; `@model-signing/signing` loads it on demand.
 */
export type { Pkcs11Curve } from './ec.js';
export { Pkcs11Error, type Pkcs11ErrorCode, redactPin } from './errors.js';
export { exportPublicKeyPem, type OpenPkcs11KeyOptions, openPkcs11Key, type Pkcs11Key } from './key.js';
export { defaultModuleDirectories, findModule, type ModuleSearchOptions } from './module-search.js';
export { openModuleCount } from './session.js';
export { escapeAll, escapeValue, Pkcs11Uri, parsePkcs11Uri, percentDecode } from './uri.js';
