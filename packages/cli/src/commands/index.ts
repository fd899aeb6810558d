import { registerDigest } from './digest.js';
import { registerPkcs11Export } from './pkcs11-export.js';
import { registerSignCertificate } from './sign-certificate.js';
import { registerSignKey } from './sign-key.js';
import { registerSignPkcs11 } from './sign-pkcs11.js';
import { registerSignSigstore } from './sign-sigstore.js';
import { registerTrustInstance } from './trust-instance.js';
import type { RegisterCommands } from './types.js';
import { registerVerifyCertificate } from './verify-certificate.js';
import { registerVerifyKey } from './verify-key.js';
import { registerVerifySigstore } from './verify-sigstore.js';

/**
 * Every command module, in help order. A new command adds one line here.
 *
 * How a command module looks (see `digest.ts`): export `registerX({ program, sign, verify })`, add a
 * subcommand to the right group (`sign.command('key')`, `verify.command('key')`, `program.command('…')`),
 * use `addModelOptions` / `addSignatureOption` from `../common.js` for the shared model options, throw
 * `UsageError` for a bad invocation (exit 2). Every command is registered on every run, so a command module
 * imports only light modules (commander, `../common.js`, `../errors.js`, option definitions, `import type`);
 * its action loads the work with `await import('../actions/….js')` (or the package itself), so `--help`,
 * `--version` and `digest` do not pay for loading Sigstore, OCI and the signing stack. The work wraps its body
 * in `failWith('Signing failed with error: ', …)` (or the verify/digest prefix) so any error becomes one line
 * and exit 1, hashes with `cliHashingConfig` from `../actions/hashing-config.js`, and prints results with
 * `emit(json, lines, data)`. Tests run the built CLI with `runCli` from `test-support/cli.ts`.
 */
export const COMMANDS: readonly RegisterCommands[] = [
  registerDigest,
  registerSignKey,
  registerSignCertificate,
  registerVerifyKey,
  registerVerifyCertificate,
  registerSignSigstore,
  registerVerifySigstore,
  registerTrustInstance,
  registerSignPkcs11,
  registerPkcs11Export,
];
