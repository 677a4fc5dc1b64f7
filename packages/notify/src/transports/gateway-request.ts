/**
 * One HTTP call to an SMS gateway with a deadline, and the classification every HTTP gateway
 * shares: no answer, 408, 429 and 5xx are worth retrying; any other 4xx is not.
 */
import { TransportError } from '../types';
import { scrubAddresses } from './redact';

export const GATEWAY_TIMEOUT_MS = 10_000;

export interface GatewayAnswer {
  status: number;
  /** The body as text (at most what the gateway sent). */
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: unknown;
}

export interface GatewayRequest {
  /** The transport's name, first word of every error message. */
  gateway: string;
  fetch: typeof fetch;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}

/** POSTs and reads the answer; a network failure or timeout is a transient TransportError. */
export async function postToGateway(req: GatewayRequest): Promise<GatewayAnswer> {
  let response: Response;
  try {
    response = await req.fetch(req.url, {
      method: 'POST',
      headers: req.headers,
      body: req.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(req.timeoutMs),
    });
  } catch (error) {
    throw new TransportError(`${req.gateway}: ${networkFailure(error, req.timeoutMs)}`, false);
  }
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    throw new TransportError(
      `${req.gateway}: HTTP ${response.status}, then ${networkFailure(error, req.timeoutMs)}`,
      false,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

/** What went wrong below HTTP, in a few words ("no answer within 10 s", "ECONNREFUSED"). */
function networkFailure(error: unknown, timeoutMs: number): string {
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : undefined;
  return code ? `connection failed (${code})` : 'connection failed';
}

/** True for the HTTP statuses where the same request may succeed later. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * The TransportError for a non-2xx answer: transient for 408, 429 and 5xx; permanent for the
 * rest, a redirect included (a wrong URL is configuration, and retrying will not fix it).
 * `detail` is the gateway's words, scrubbed of addresses.
 */
export function httpFailure(gateway: string, status: number, detail?: string): TransportError {
  const words = detail ? scrubAddresses(detail) : '';
  return new TransportError(
    `${gateway}: HTTP ${status}${words ? ` (${words})` : ''}`,
    !isRetryableStatus(status),
  );
}

/** The `key` property of a JSON object, when it is a non-empty string or a number. */
export function jsonField(json: unknown, key: string): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const value = (json as Record<string, unknown>)[key];
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}
