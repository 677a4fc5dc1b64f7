#!/usr/bin/env -S MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=131072 node --max-semi-space-size=4 --expose-gc
// Runtime settings in the line above keep a clinic node within ~100 MB under load
// (measured by bench/): 4 MB young-generation semi-spaces instead of V8's 16 MB, and two
// malloc arenas, so V8's background threads do not each keep an arena resident.
// --expose-gc lets a first sync collect the JSON it has applied after each large batch
// (sync/src/edge/puller.ts): a 50k-appointment first sync otherwise peaks near 145 MB.
// The `clinic` command. Runs a JavaScript bundle of the workspace sources (rebuilt here
// whenever a source changed; see bundle.js). If the bundle cannot be built (e.g. a
// read-only install), it falls back to loading the TypeScript through tsx.
import { pathToFileURL } from 'node:url';
import { buildBundle, freshBundle } from './bundle.js';

let entry;
const fresh = freshBundle();
if (fresh) {
  entry = pathToFileURL(fresh).href;
} else {
  try {
    entry = pathToFileURL(await buildBundle()).href;
  } catch (err) {
    process.stderr.write(
      `clinic: could not build the bundle (${err?.message ?? err}); running from source\n`,
    );
    const { register } = await import('tsx/esm/api');
    register();
    entry = new URL('../src/main.ts', import.meta.url).href;
  }
}
await import(entry);
