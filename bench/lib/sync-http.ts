/**
 * A small JSON client for the sync benchmark over keep-alive node:http sockets, to
 * 127.0.0.1 only. It asks for gzip (`accept-encoding: gzip, deflate`, as Node's fetch
 * does, which the clinic node uses to push) and reports the bytes each way as they were
 * on the wire: the request body and the response body before decompression.
 */
import http from 'node:http';
import { gunzipSync, inflateSync } from 'node:zlib';

export interface JsonResponse {
  status: number;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read field by field
  body: any;
  requestBytes: number;
  /** Response body bytes as received (compressed when the server compressed it). */
  responseBytes: number;
  /** Response body bytes after decompression. */
  responsePlainBytes: number;
  encoding: string;
}

export interface JsonClient {
  readonly url: string;
  call(method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse>;
  close(): void;
}

export function jsonClient(baseUrl: string, sockets = 4): JsonClient {
  const base = new URL(baseUrl);
  if (base.hostname !== '127.0.0.1') throw new Error(`refusing to call ${base.hostname}`);
  const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  return {
    url: baseUrl,
    call(method, path, body, token) {
      const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
      return new Promise<JsonResponse>((resolve, reject) => {
        const headers: http.OutgoingHttpHeaders = { 'accept-encoding': 'gzip, deflate' };
        if (payload) {
          headers['content-type'] = 'application/json';
          headers['content-length'] = payload.length;
        }
        if (token) headers.authorization = `Bearer ${token}`;
        const req = http.request(
          { host: base.hostname, port: base.port, method, path, agent, headers },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('error', reject);
            res.on('end', () => {
              try {
                const raw = Buffer.concat(chunks);
                const encoding = String(res.headers['content-encoding'] ?? 'identity');
                const plain =
                  encoding === 'gzip'
                    ? gunzipSync(raw)
                    : encoding === 'deflate'
                      ? inflateSync(raw)
                      : raw;
                const text = plain.toString('utf8');
                let parsed: unknown = null;
                if (text) {
                  try {
                    parsed = JSON.parse(text);
                  } catch {
                    parsed = text;
                  }
                }
                resolve({
                  status: res.statusCode ?? 0,
                  body: parsed,
                  requestBytes: payload?.length ?? 0,
                  responseBytes: raw.length,
                  responsePlainBytes: plain.length,
                  encoding,
                });
              } catch (err) {
                reject(err as Error);
              }
            });
          },
        );
        req.on('error', reject);
        req.end(payload);
      });
    },
    close: () => agent.destroy(),
  };
}

/** Logs in and returns the access token; throws with the answer when refused. */
export async function loginJson(
  client: JsonClient,
  username: string,
  password: string,
): Promise<string> {
  const res = await client.call('POST', '/api/v1/auth/token/', { username, password });
  const access = (res.body as { access?: unknown } | null)?.access;
  if (res.status !== 200 || typeof access !== 'string') {
    throw new Error(
      `login of ${username} at ${client.url}: ${res.status} ${JSON.stringify(res.body)}`,
    );
  }
  return access;
}
