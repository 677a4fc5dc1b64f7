/** @clinic/auth: password hashing, signing keys, JWTs and login throttling. */
export * from './password';
export * from './keys';
export * from './tokens';
export * from './rate-limit';
export * from './verified-token-cache';
