/**
 * A self-contained API reference page: it fetches ./openapi.json from the same server
 * and renders operations, parameters and schemas. No CDN, works offline.
 */
export const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Clinic scheduling API</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; margin: 0; color: #1d2733; background: #f6f8fa; }
  header { background: #14532d; color: #fff; padding: 1rem 1.5rem; }
  main { max-width: 70rem; margin: 0 auto; padding: 1rem 1.5rem 3rem; }
  details { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: .5rem 0; }
  summary { padding: .6rem .8rem; cursor: pointer; }
  summary:focus-visible { outline: 3px solid #0969da; }
  .m { display: inline-block; min-width: 4.5rem; font-weight: 700; text-transform: uppercase; }
  .get { color: #0969da } .post { color: #1a7f37 } .patch, .put { color: #9a6700 } .delete { color: #cf222e }
  code, pre { font: 13px/1.4 ui-monospace, monospace; }
  pre { background: #f6f8fa; padding: .6rem; overflow: auto; border-radius: 4px; }
  .body { padding: 0 .8rem .8rem; }
  h2 { margin-top: 2rem; text-transform: capitalize; }
</style>
</head>
<body>
<header><h1>Clinic scheduling API</h1><p id="desc">Loading <a href="./openapi.json" style="color:#fff">openapi.json</a>…</p></header>
<main id="ops" aria-live="polite"></main>
<script>
(async () => {
  const res = await fetch('./openapi.json');
  const spec = await res.json();
  const esc = (s) => String(s).replace(/[&<>"]/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[ch]);
  document.getElementById('desc').textContent = spec.info.description;
  const byTag = {};
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      (byTag[op.tags[0]] ??= []).push({ path, method, op });
    }
  }
  let html = '';
  for (const [tag, ops] of Object.entries(byTag)) {
    html += '<h2>' + esc(tag) + '</h2>';
    for (const { path, method, op } of ops) {
      html += '<details><summary><span class="m ' + method + '">' + method + '</span> <code>' + esc(path) + '</code> ' + esc(op.summary) + '</summary><div class="body">';
      if (op.parameters) html += '<h4>Parameters</h4><ul>' + op.parameters.map((p) => '<li><code>' + esc(p.name) + '</code> (' + p.in + ')</li>').join('') + '</ul>';
      if (op.requestBody) html += '<h4>Request body</h4><pre>' + esc(JSON.stringify(op.requestBody.content['application/json'].schema, null, 2)) + '</pre>';
      html += '<h4>Responses</h4>';
      for (const [status, r] of Object.entries(op.responses)) {
        html += '<p><strong>' + status + '</strong> ' + esc(r.description) + '</p>';
        if (r.content) html += '<pre>' + esc(JSON.stringify(r.content['application/json'].schema, null, 2)) + '</pre>';
      }
      html += '</div></details>';
    }
  }
  document.getElementById('ops').innerHTML = html;
})();
</script>
</body>
</html>
`;
