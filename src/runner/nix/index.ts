/**
 * The Nix runner: evaluates users' expressions (through kiln's wrapper) and builds them with the
 * real Nix, turning `--log-format internal-json` into typed events and outcomes.
 */
export {
  NixRunner,
  type NixRunnerOptions,
  type InstantiateOptions,
  type RealiseOptions,
  type LogLineStream,
} from './runner.js';
export {
  type RealiseResult,
  type RealiseFailure,
  FAILURE_REASONS,
  classifyFailure,
  LogTail,
} from './outcome.js';
export {
  createInternalJsonParser,
  topLevelIntegerText,
  ActivityType,
  ResultType,
  type InternalJsonParser,
  type NixEvent,
  type NixEventType,
} from './internal-json.js';
export { stripAnsi } from './ansi.js';
export { parseHashMismatches, type HashMismatch } from './hash-mismatch.js';
export {
  buildEnv,
  checkValidityArgs,
  commonOptions,
  evalArgs,
  showDerivationArgs,
  instantiateArgs,
  parseArgs,
  pathInfoArgs,
  realiseArgs,
  storeArgs,
  versionArgs,
  type BuildEnvOptions,
  type InstantiateArgsOptions,
  type NixInvocation,
  type NixSettings,
  type RealiseArgsOptions,
} from './args.js';
export {
  RESERVED_ENV_NAMES,
  WRAPPER_ARGS_FILE,
  WRAPPER_DIR,
  WRAPPER_FILE,
  splitAttrPath,
  wrapperArgsJson,
  wrapperSource,
  type WrapperArgs,
} from './wrapper.js';
export { sumClosureNarSize, closureSizesFromPathInfo } from './path-info.js';
export { queryPathInfoJson, type PathInfoQueryOptions } from './path-info-query.js';
export {
  evaluateMatrix,
  derivationInputs,
  matrixAttrPaths,
  matrixExpressionSource,
  nixStringLiteral,
  type MatrixNix,
  type MatrixSource,
  type MatrixEvalRequest,
  type MatrixJob,
  type MatrixEvalError,
  type MatrixEvaluation,
} from './matrix.js';
export { parseMachines, machineSystems, type NixMachine } from './machines.js';
export { loadBuilders, type LoadedBuilders } from './builders.js';
