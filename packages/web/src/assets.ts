/**
 * The page's script and style sheet. The script is TypeScript under `client/`, bundled
 * with esbuild (already a dependency of the `clinic` command) the first time a browser
 * asks for it, then served from memory. Nothing is fetched from the network.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const CLIENT_ENTRY = fileURLToPath(new URL('./client/main.ts', import.meta.url));
const STYLES = fileURLToPath(new URL('./styles.css', import.meta.url));

export interface Asset {
  body: string;
  /** The same body gzipped once (level 9), for browsers that accept it. */
  gzip: Uint8Array<ArrayBuffer>;
  etag: string;
  type: string;
}

function asset(body: string, type: string): Asset {
  const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
  const packed = gzipSync(body, { level: 9 });
  // A copy into its own ArrayBuffer: zlib's Buffer may share a pooled one.
  return { body, gzip: new Uint8Array(packed), etag, type };
}

let script: Promise<Asset> | undefined;

/** The client bundle (built once per process; a failed build is retried on the next ask). */
export function clientScript(): Promise<Asset> {
  script ??= buildScript().catch((err: unknown) => {
    script = undefined;
    throw err;
  });
  return script;
}

async function buildScript(): Promise<Asset> {
  const esbuild = await import('esbuild');
  const result = await esbuild
    .build({
      entryPoints: [CLIENT_ENTRY],
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      // Browsers of about 2020 on: old clinic laptops keep their browser for years.
      target: 'es2020',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    })
    .catch((err: unknown) => {
      const first = (err as { errors?: { text: string }[] }).errors?.[0]?.text;
      throw new Error(`the web client did not build: ${first ?? String(err)}`);
    })
    // esbuild's service is a child process; a clinic laptop should not keep it for nothing.
    .finally(() => esbuild.stop());
  const out = result.outputFiles[0];
  if (!out) throw new Error('esbuild produced no output for the web client');
  return asset(out.text, 'text/javascript; charset=utf-8');
}

let styles: Asset | undefined;

export function styleSheet(): Asset {
  styles ??= asset(readFileSync(STYLES, 'utf8'), 'text/css; charset=utf-8');
  return styles;
}
