/**
 * `sign pkcs11-key` and `sign pkcs11-certificate`: sign a local model with an EC key held in a PKCS #11 token
 * (spec §3.8). The bundles are those of `sign key` and `sign certificate`; verify with `verify key` or
 * `verify certificate`.
 * @module
 */
import * as signing from '@model-signing/signing';
import { type Command, Option } from 'commander';
import {
  absolute,
  addModelOptions,
  addSignatureOption,
  cliHashingConfig,
  collect,
  type ModelOptions,
} from '../common.js';
import { emit, failWith } from '../output.js';
import type { CommandGroups } from './types.js';

interface Pkcs11KeyOptions extends ModelOptions {
  pkcs11Uri: string;
  signature: string;
  allowEmptyModel: boolean;
}

interface Pkcs11CertificateOptions extends Pkcs11KeyOptions {
  signingCertificate: string;
  certificateChain: string[];
}

const URI_HELP =
  'RFC 7512 URI of the key: token, object and/or id, pin-value or pin-source, module-path or module-name';

/** The model argument, `--pkcs11-uri`, and the options every `sign` method shares. */
function addPkcs11SignOptions(command: Command): Command {
  command
    .argument('<model_path>', 'the model: a directory or a single file')
    .addOption(new Option('--pkcs11-uri <uri>', URI_HELP).makeOptionMandatory())
    .option('--allow-empty-model', 'sign a model that has no file left after ignored paths', false);
  addSignatureOption(command, 'sign');
  return addModelOptions(command);
}

async function signModel(
  modelPath: string,
  options: Pkcs11KeyOptions,
  configure: (config: signing.Config) => signing.Config,
): Promise<void> {
  const result = await failWith('Signing failed with error: ', async () => {
    const config = configure(new signing.Config())
      .setHashingConfig(cliHashingConfig(modelPath, options, [options.signature]))
      .setAllowEmptyModel(options.allowEmptyModel);
    return config.sign(modelPath, options.signature);
  });
  // The same output as `sign key` and `sign certificate`.
  emit(options.json, ['Signing succeeded'], {
    status: 'success',
    method: result.method,
    modelPath: absolute(modelPath),
    signature: absolute(options.signature),
    modelName: result.manifest.modelName,
    digest: `sha256:${result.manifest.rootDigestHex()}`,
    files: result.manifest.names(),
  });
}

/** Registers `sign pkcs11-key` and `sign pkcs11-certificate` (also spelled with `_`). */
export function registerSignPkcs11({ sign }: CommandGroups): void {
  const key = sign
    .command('pkcs11-key')
    .description('Sign a model with an EC key on a PKCS #11 token (verify with `verify key`).');
  addPkcs11SignOptions(key).action(async (modelPath: string, options: Pkcs11KeyOptions) => {
    await signModel(modelPath, options, (config) => config.usePkcs11Signer({ uri: options.pkcs11Uri }));
  });

  const certificate = sign
    .command('pkcs11-certificate')
    .description(
      'Sign a model with an EC key on a PKCS #11 token and its certificate chain (verify with `verify certificate`).',
    )
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
  addPkcs11SignOptions(certificate).action(async (modelPath: string, options: Pkcs11CertificateOptions) => {
    await signModel(modelPath, options, (config) =>
      config.usePkcs11CertificateSigner({
        uri: options.pkcs11Uri,
        signingCertificate: options.signingCertificate,
        certificateChain: options.certificateChain,
      }),
    );
  });
}
