/**
 * `sign pkcs11-key` and `sign pkcs11-certificate`: sign a local model with an EC key held in a PKCS #11 token
 * (spec §3.8). The bundles are those of `sign key` and `sign certificate`; verify with `verify key` or
 * `verify certificate`. Local models only, as in the Python tool.
 * @module
 */
import { type Command, Option } from 'commander';
import { collect } from '../common.js';
import { UsageError } from '../errors.js';
import { addSignOptions, type SignOptions } from './sign-key.js';
import {
  addTimestampServerOption,
  type TimestampSignCliOptions,
  timestampServers,
} from './timestamp-options.js';
import type { CommandGroups } from './types.js';

interface Pkcs11KeyOptions extends SignOptions, TimestampSignCliOptions {
  pkcs11Uri: string;
}

interface Pkcs11CertificateOptions extends Pkcs11KeyOptions {
  signingCertificate: string;
  certificateChain: string[];
}

function addUriOption(command: Command): Command {
  return command.addOption(
    new Option(
      '--pkcs11-uri <uri>',
      'RFC 7512 URI of the key: token, object and/or id, pin-value or pin-source, module-path or module-name',
    ).makeOptionMandatory(),
  );
}

/**
 * There is no PKCS #11 verifier (the bundles are key and certificate bundles). Python answers
 * `verify pkcs11-key` with click's "No such command"; without these hidden entries our CLI would read the
 * word as a model path for the default sigstore method and complain about `--identity`.
 */
function registerVerifyHints(verify: Command): void {
  const hints = { 'pkcs11-key': 'verify key --public-key PEM', 'pkcs11-certificate': 'verify certificate' };
  for (const [method, instead] of Object.entries(hints)) {
    verify
      .command(method, { hidden: true })
      .allowUnknownOption()
      .allowExcessArguments()
      .action(() => {
        throw new UsageError(
          `No such command '${method}': ${method} signatures are verified with \`${instead}\`` +
            (method === 'pkcs11-key' ? ' (get the PEM with `model-signing pkcs11 export-public-key`)' : ''),
        );
      });
  }
}

/**
 * Registers `sign pkcs11-key` and `sign pkcs11-certificate` (also spelled with `_`), and hidden
 * `verify pkcs11-*` entries that point to `verify key` / `verify certificate`.
 */
export function registerSignPkcs11({ sign, verify }: CommandGroups): void {
  registerVerifyHints(verify);
  const key = sign
    .command('pkcs11-key')
    .description('Sign a model with an EC key on a PKCS #11 token (verify with `verify key`).');
  addTimestampServerOption(key);
  addSignOptions(addUriOption(key)).action(async (modelPath: string, options: Pkcs11KeyOptions) => {
    const { runSign } = await import('../actions/sign.js');
    await runSign(modelPath, options, (config) =>
      config.usePkcs11Signer({ uri: options.pkcs11Uri, ...timestampServers(options) }),
    );
  });

  const certificate = sign
    .command('pkcs11-certificate')
    .description(
      'Sign a model with an EC key on a PKCS #11 token and its certificate chain (verify with `verify certificate`).',
    );
  addUriOption(certificate)
    .addOption(
      new Option('--signing-certificate <path>', 'PEM certificate of the token key').makeOptionMandatory(),
    )
    .addOption(
      new Option(
        '--certificate-chain <path>',
        'PEM file of chain certificates (repeatable), written after the leaf',
      )
        .argParser(collect)
        .default([]),
    );
  addTimestampServerOption(certificate);
  addSignOptions(certificate).action(async (modelPath: string, options: Pkcs11CertificateOptions) => {
    const { runSign } = await import('../actions/sign.js');
    await runSign(modelPath, options, (config) =>
      config.usePkcs11CertificateSigner({
        uri: options.pkcs11Uri,
        signingCertificate: options.signingCertificate,
        certificateChain: options.certificateChain,
        ...timestampServers(options),
      }),
    );
  });
}
