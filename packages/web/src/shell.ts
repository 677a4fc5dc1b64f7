/** The one HTML page. It holds no data and no secrets: the script asks the API for both. */
export function shell(role: 'edge' | 'central'): string {
  const title = role === 'central' ? 'Central scheduling' : 'Clinic scheduling';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/ui/app.css">
<script src="/ui/app.js" defer></script>
</head>
<body data-role="${role}">
<div id="app"><p class="loading">Loading ${title.toLowerCase()}…</p></div>
<noscript><p>This page needs JavaScript, which runs here on the clinic's own computer.</p></noscript>
</body>
</html>
`;
}
