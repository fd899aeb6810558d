/**
 * `pkcs11 export-public-key`: print (or write) the PEM public key of a key on a PKCS #11 token, the input
 * `verify key` needs. Debian's opensc cannot export EC public keys, so this is the portable way.
 * @module
 */
import { writeFile } from 'node:fs/promises';
import { absolute } from '../common.js';
import { UsageError } from '../errors.js';
import { emit, failWith } from '../output.js';
import type { CommandGroups } from './types.js';

interface ExportOptions {
  pkcs11Uri: string;
  output?: string;
  json: boolean;
}

const PACKAGE = '@model-signing/pkcs11';

/** The optional PKCS #11 package, or an error saying how to install it. */
async function loadPkcs11(): Promise<typeof import('@model-signing/pkcs11')> {
  try {
    return await import('@model-signing/pkcs11');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(error).includes(PACKAGE)) {
      throw new Error(
        `PKCS #11 needs the optional package ${PACKAGE}; install it with: npm install ${PACKAGE}`,
      );
    }
    throw error;
  }
}

/** Registers `pkcs11 export-public-key` (also `export_public_key`). */
export function registerPkcs11Export({ program }: CommandGroups): void {
  const group = program
    .command('pkcs11')
    .description('PKCS #11 token helpers.')
    .action(() => {
      throw new UsageError('Missing command: try `model-signing pkcs11 export-public-key --pkcs11-uri URI`');
    });
  group
    .command('export-public-key')
    .alias('export_public_key')
    .description('Print the PEM public key of a key on a PKCS #11 token (for `verify key --public-key`).')
    .requiredOption(
      '--pkcs11-uri <uri>',
      'RFC 7512 URI of the key: token, object and/or id, module-path or module-name (a PIN only if needed)',
    )
    .option('--output <path>', 'write the PEM to this file instead of standard output')
    .option('--json', 'print the result as JSON on stdout', false)
    .action(async (options: ExportOptions) => {
      const pem = await failWith('Exporting the public key failed with error: ', async () => {
        const pkcs11 = await loadPkcs11();
        const text = await pkcs11.exportPublicKeyPem(options.pkcs11Uri);
        if (options.output !== undefined) await writeFile(options.output, text);
        return text;
      });
      const lines =
        options.output === undefined ? [pem.trimEnd()] : [`Public key written to ${options.output}`];
      emit(options.json, lines, {
        status: 'success',
        publicKey: pem,
        ...(options.output !== undefined ? { output: absolute(options.output) } : {}),
      });
    });
}
