/**
 * Reads a push request's body, gzip or plain JSON, within bounds and before the push schema
 * sees it: at most MAX_INFLATED_BYTES once inflated, and PUSH_JSON_BOUNDS on nesting and on
 * the number of values (domain/json-bounds.ts). The bounds are checked on each inflated chunk,
 * so a gzip bomb of nested brackets is refused after its first chunk and never reaches
 * JSON.parse, whose cost grows with nesting (16 MB of `[[[...]]]` held the event loop ~5 s).
 */
import {
  JsonBoundsScanner,
  describeJsonRefusal,
  parseBoundedJson,
  type JsonBounds,
} from '@clinic/domain';
import { MAX_NOTIFICATIONS_PER_MUTATION, MAX_PUSH_BATCH } from '../protocol';

/**
 * Largest push body once inflated. The largest valid batch (200 `notifications.put` of 64
 * rows of ~600 bytes) is ~7.7 MB; 16 MB leaves room, and within PUSH_JSON_BOUNDS parsing
 * 16 MB costs at most ~0.3 s (bench/parse-cost.ts).
 */
export const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

/**
 * A batch nests 6 levels (request, mutations, mutation, args, rows, row). Values: a
 * `notifications.put` holds ~1,160 (64 rows of 17 fields and their envelopes); the bound
 * allows 24 a row and 16 a mutation, ~310,000 in all, which JSON.parse reads in ~40 ms.
 */
export const PUSH_JSON_BOUNDS: JsonBounds = {
  maxDepth: 32,
  maxItems: MAX_PUSH_BATCH * (16 + MAX_NOTIFICATIONS_PER_MUTATION * 24) + 16,
};

export type PushBody =
  { ok: true; value: unknown } | { ok: false; status: 400 | 413; detail: string };

const MALFORMED: PushBody = { ok: false, status: 400, detail: 'Malformed JSON.' };
const TOO_LARGE: PushBody = { ok: false, status: 413, detail: 'Push batch too large.' };

/** Reads and parses a push body; `Content-Encoding: gzip` bodies are inflated first. */
export async function readPushBody(request: Request): Promise<PushBody> {
  const gzipped = /gzip/i.test(request.headers.get('content-encoding') ?? '');
  if (!gzipped || !request.body) {
    let text: string;
    try {
      text = await request.text();
    } catch {
      return MALFORMED;
    }
    return parsed(parseBoundedJson(text, PUSH_JSON_BOUNDS));
  }
  return gunzipJson(request.body);
}

function parsed(result: ReturnType<typeof parseBoundedJson>): PushBody {
  if (result.ok) return result;
  if (result.reason === 'malformed') return MALFORMED;
  return {
    ok: false,
    status: 400,
    detail: describeJsonRefusal(result.reason, PUSH_JSON_BOUNDS),
  };
}

/** Inflates, checking size and bounds chunk by chunk, then parses. */
async function gunzipJson(body: ReadableStream<Uint8Array>): Promise<PushBody> {
  const reader = body.pipeThrough(new DecompressionStream('gzip')).getReader();
  const scanner = new JsonBoundsScanner(PUSH_JSON_BOUNDS);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      const refusal = size > MAX_INFLATED_BYTES ? 'too_large' : scanner.feed(value);
      if (refusal) {
        await reader.cancel().catch(() => undefined);
        return refusal === 'too_large'
          ? TOO_LARGE
          : { ok: false, status: 400, detail: describeJsonRefusal(refusal, PUSH_JSON_BOUNDS) };
      }
      chunks.push(value);
    }
  } catch {
    return MALFORMED; // not gzip, or cut short
  }
  try {
    return { ok: true, value: JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown };
  } catch {
    return MALFORMED;
  }
}
