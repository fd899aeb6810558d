import path from 'node:path';
import type { Config as SigningConfig, SignResult } from '@model-signing/signing';
import { io } from '@tensorflow/tfjs';
import { TfjsModelError } from './errors.js';
import { joinWeightData, MODEL_JSON, modelJson, toArrayBuffer, weightShards } from './layout.js';
import { type AtomicDirectoryOptions, writeDirectoryAtomically, writeDurably } from './stage.js';

/** The signature's file name inside a model directory, as the CLI's examples use it. */
export const SIGNATURE_FILE = 'model.sig';

/** Options of {@link signedSave}. */
export interface SignedSaveOptions extends AtomicDirectoryOptions {
  /** How to sign: the signer (key, certificate, Sigstore, PKCS #11) and, optionally, the hashing. */
  readonly signing: SigningConfig;
  /** The signature's file name inside the directory; left out of the signed files. Default `model.sig`. */
  readonly signatureFile?: string;
  /** Bytes per weights file (`group1-shardNofM.bin`). Default 4 MiB, as the TF.js converter. */
  readonly weightShardSize?: number;
  /** Called with what was signed, once the model is in place. */
  readonly onSigned?: (result: SignResult) => void;
}

/**
 * A TF.js `IOHandler` whose `save` writes the model in the TF.js file layout (`model.json` and
 * `group1-shardNofM.bin` weights files) and signs it, all in a staging directory beside `dir` that is renamed
 * to `dir` only once the signature is written: `dir` holds a complete, signed model or nothing.
 *
 * ```ts
 * await model.save(signedSave('./my-model', { signing: new signing.Config().useEllipticKeySigner({ privateKey }) }));
 * ```
 */
export function signedSave(dir: string, options: SignedSaveOptions): io.IOHandler {
  const signatureFile = options.signatureFile ?? SIGNATURE_FILE;
  return {
    save: async (artifacts: io.ModelArtifacts): Promise<io.SaveResult> => {
      const weights = await weightBytes(artifacts);
      const shards = weightShards(weights, options.weightShardSize);
      const json = modelJson(
        artifacts,
        shards.map((shard) => shard.name),
      );
      const result = await writeDirectoryAtomically(
        dir,
        async (staging) => {
          await writeDurably(path.join(staging, MODEL_JSON), JSON.stringify(json));
          for (const shard of shards) await writeDurably(path.join(staging, shard.name), shard.bytes);
          return options.signing.sign(staging, path.join(staging, signatureFile));
        },
        options,
      );
      options.onSigned?.({ ...result, signaturePath: path.join(dir, signatureFile) });
      return {
        modelArtifactsInfo: io.getModelArtifactsInfoForJSON({
          ...artifacts,
          weightData: toArrayBuffer(weights),
        }),
      };
    },
  };
}

// A model may hand its weights over as a stream instead of buffers.
async function weightBytes(artifacts: io.ModelArtifacts): Promise<Uint8Array> {
  if (artifacts.weightData !== undefined || artifacts.getWeightStream === undefined) {
    return joinWeightData(artifacts.weightData);
  }
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of artifacts.getWeightStream() as unknown as AsyncIterable<ArrayBuffer>)
      chunks.push(new Uint8Array(chunk));
  } catch (error) {
    throw new TfjsModelError(
      'UNSUPPORTED_ARTIFACTS',
      `Cannot read the model's weights: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  return Buffer.concat(chunks);
}
