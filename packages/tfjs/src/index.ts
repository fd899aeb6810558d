/**
 * TensorFlow.js integration of model signing: an `IOHandler` that saves a model in the TF.js file layout and
 * signs it atomically, and one that loads a model only after its signature verifies, handing TF.js the very
 * bytes that were checked.
 *
 * @packageDocumentation
 */
export { TfjsModelError, type TfjsModelErrorCode } from './errors.js';
export { DEFAULT_WEIGHT_SHARD_SIZE, MODEL_JSON } from './layout.js';
export { SIGNATURE_FILE, type SignedSaveOptions, signedSave } from './signed-save.js';
export type { AtomicDirectoryOptions } from './stage.js';
export {
  type VerifiedLoadOptions,
  type VerifiedWeightsOptions,
  verifiedLoad,
  verifiedWeights,
} from './verified-load.js';
export { VerifiedModel, type VerifiedModelOptions } from './verified-model.js';
