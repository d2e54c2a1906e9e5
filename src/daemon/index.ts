// index.ts — the daemon layer's public surface: verusd JSON-RPC (rpc.ts), its VRSC.conf (conf.ts),
// block templates → jobs and blocks (template.ts), and their coded errors (errors.ts).
// The job source that drives them for the built-in pool: source.ts.

export { DaemonError, SYNCING_RPC_CODES, type DaemonErrorCode } from "./errors.ts";
export {
  DaemonRpc,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_TIMEOUT_MS,
  parseDaemonUrl,
  redactUrl,
  type CallOptions,
  type DaemonRpcOptions,
  type DaemonUrl,
  type RpcCall,
} from "./rpc.ts";
export {
  DEFAULT_RPC_HOST,
  DEFAULT_RPC_PORT,
  parseDaemonConf,
  readDaemonConf,
  type DaemonConf,
} from "./conf.ts";
export {
  assembleBlock,
  blockHashDisplay,
  compactSize,
  merkleRoot,
  parseTemplate,
  sha256d,
  templateBlockTarget,
  templateJob,
  templateMerkleRoot,
  templateNotify,
  trimTrailingZeroBytes,
  type BlockTemplate,
  type TemplateTransaction,
} from "./template.ts";
export {
  DaemonJobSource,
  type BlockResult,
  type DaemonSourceEvents,
  type DaemonSourceOptions,
  type DaemonWork,
} from "./source.ts";
