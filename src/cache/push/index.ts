// kiln's own push path: closures from the local Nix store to a kiln cache over its HTTP contract.
export { pushClosure, serverMessage, DEFAULT_PUSH_JOBS } from './engine.js';
export { nixPushSource, type NixSourceOptions } from './nix-source.js';
export { httpPushTransport, type HttpTransportOptions } from './http-transport.js';
export { warehousePushTransport, type WarehouseWriter } from './warehouse-transport.js';
export { compressNar, DEFAULT_MEMORY_LIMIT, type CompressedNar } from './compressed-nar.js';
export { batches, hashPartOf, parsePathInfoJson, topologicalOrder, MISSING_BATCH } from './plan.js';
export { pushNarInfo, renderPushNarInfo, type UploadedNar } from './narinfo.js';
export type {
  PushOptions,
  PushPathInfo,
  PushProgress,
  PushSource,
  PushSummary,
  PushTransport,
  PutBody,
  TransportResponse,
} from './types.js';
