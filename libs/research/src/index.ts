export * from './types.js';
export { effectiveParams, configKey, triedConfigs, declaredSpace, type ParamConfig } from './space.js';
export { inClaimRegion } from './claims.js';
export { observe, observationsUnder, type Observation, type Outcome, type ParamMove } from './observations.js';
export { OfflineProposer, type OfflineProposerOptions } from './offline-proposer.js';
export { RandomProposer, sampleParameter } from './random-proposer.js';
export { OfflineDistiller, type OfflineDistillerOptions } from './offline-distiller.js';
