/** @clinic/api: the HTTP API over the application services, served by edge and central. */
export { createApp, MAX_BODY_BYTES, type CreatedApp } from './app';
export type {
  ApiDeps,
  TokenPort,
  PasswordPort,
  LoginLimiterPort,
  TokenClaims,
  NodesPort,
  NodeView,
  SyncPort,
  SyncStatusView,
} from './deps';
export type { AppEnv } from './env';
export { createLogger, silentLogger, REDACT_PATHS, type Logger } from './logger';
export { ApiDocs } from './openapi';
export { sessionCookieNames } from './session';
