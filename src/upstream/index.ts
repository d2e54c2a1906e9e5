// index.ts — the public surface of the pool client (src/upstream/). Layers above import from here.

export { PoolClient } from "./client.ts";
export { UpstreamError, type UpstreamErrorCode } from "./errors.ts";
export {
  type SubmitFate,
  type StaleReason,
  type TargetSource,
  type UpstreamEvent,
  type UpstreamListener,
  type UpstreamShare,
} from "./events.ts";
export { DEFAULT_USER_AGENT, resolveOptions, type PoolClientOptions, type PoolConfig } from "./options.ts";
export { backoffDelay, DEFAULT_BACKOFF, PoolRotation, type BackoffOptions } from "./reconnect-policy.ts";
export { StratumSession, type SessionEvent, type SessionOptions } from "./session.ts";
export { parseFingerprint, type TlsOptions } from "./tls.ts";
export {
  connectTransport,
  type ConnectFn,
  type Transport,
  type TransportHandlers,
  type TransportOptions,
} from "./transport.ts";
export { parsePoolUrl, type PoolEndpoint, type PoolScheme } from "./url.ts";
