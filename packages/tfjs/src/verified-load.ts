import type { NamedTensorMap } from '@tensorflow/tfjs';
import { io } from '@tensorflow/tfjs';
import { TfjsModelError } from './errors.js';
import { checkWeightsManifest, MODEL_JSON, toArrayBuffer, weightsFilePath } from './layout.js';
import { VerifiedModel, type VerifiedModelOptions } from './verified-model.js';

/** Options of {@link verifiedLoad}. */
export interface VerifiedLoadOptions extends VerifiedModelOptions {
  /** The model's `model.json`, relative to the model directory. Default `model.json`. */
  readonly modelJson?: string;
}

/** Options of {@link verifiedWeights}. */
export interface VerifiedWeightsOptions extends VerifiedModelOptions {
  /** The weights manifest file (`[{ paths, weights }]`), relative to the model directory. */
  readonly weightsManifest: string;
}

/**
 * A TF.js `IOHandler` whose `load` verifies the model directory `dir` first and hands TF.js only bytes that
 * hash to their signed digests: `model.json`, then each weights file it lists. A model that does not verify
 * is refused with the `VerificationError` before any of it is parsed. For layers and graph models alike:
 *
 * ```ts
 * const model = await tf.loadLayersModel(verifiedLoad('./my-model', { verifying }));
 * const graph = await tf.loadGraphModel(verifiedLoad('./my-graph-model', { verifying }));
 * ```
 */
export function verifiedLoad(dir: string, options: VerifiedLoadOptions): io.IOHandler {
  const modelJson = options.modelJson ?? MODEL_JSON;
  return {
    load: async (): Promise<io.ModelArtifacts> => {
      const model = await VerifiedModel.open(dir, options);
      const json = parseJson(await model.read(modelJson), modelJson);
      if (
        typeof json !== 'object' ||
        json === null ||
        typeof (json as io.ModelJSON).modelTopology !== 'object'
      ) {
        throw new TfjsModelError(
          'INVALID_MODEL_FILE',
          `${modelJson} has no modelTopology; is it a TF.js model.json?`,
        );
      }
      const modelJsonValue = json as io.ModelJSON;
      if (modelJsonValue.weightsManifest !== undefined)
        checkWeightsManifest(modelJsonValue.weightsManifest, modelJson);
      return io.getModelArtifactsForJSON(modelJsonValue, (manifest) =>
        readWeights(model, modelJson, manifest),
      );
    },
  };
}

/**
 * The tensors of a weights manifest and its weights files (the layout of models that a library builds itself
 * from named weights, such as face-api's `*-weights_manifest.json`), once the model directory `dir` has
 * verified and the bytes read hash to their signed digests. The caller owns the tensors (`tf.dispose` them).
 */
export async function verifiedWeights(dir: string, options: VerifiedWeightsOptions): Promise<NamedTensorMap> {
  const model = await VerifiedModel.open(dir, options);
  const manifest = checkWeightsManifest(
    parseJson(await model.read(options.weightsManifest), options.weightsManifest),
    options.weightsManifest,
  );
  const [specs, data] = await readWeights(model, options.weightsManifest, manifest);
  return io.decodeWeights(data, specs);
}

async function readWeights(
  model: VerifiedModel,
  manifestPath: string,
  manifest: io.WeightsManifestConfig,
): Promise<[io.WeightsManifestEntry[], ArrayBuffer]> {
  const parts: Uint8Array[] = [];
  for (const group of manifest) {
    for (const listed of group.paths) parts.push(await model.read(weightsFilePath(manifestPath, listed)));
  }
  return [io.getWeightSpecs(manifest), toArrayBuffer(Buffer.concat(parts))];
}

function parseJson(bytes: Uint8Array, file: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    throw new TfjsModelError('INVALID_MODEL_FILE', `${file} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
}
