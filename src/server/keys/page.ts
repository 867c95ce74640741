// The holder's key page (/k/): a small installable web page, served by the server, that opens a
// key link. The link's token is in the URL fragment, which the browser never sends, so it is in no
// request line or log; the page posts it to /api/key-links/open, shows the QR code, keeps it on the
// phone (the link itself is short-lived) and removes the token from the address bar. No inline
// script: the page's content security policy allows only its own script.

import type { FastifyInstance } from 'fastify';
import { servePhonePage } from '../http/phone-page.ts';

const HTML = `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Monban key / 鍵</title>
<link rel="manifest" href="/k/manifest.webmanifest">
<link rel="stylesheet" href="/k/key.css">
<script src="/k/key.js" defer></script>
</head>
<body>
<main>
<h1>Monban</h1>
<p id="status">…</p>
<img id="qr" alt="QR code of your key / 鍵のQRコード" hidden>
<dl id="details" hidden>
<dt>From / 開始</dt><dd id="from"></dd>
<dt>Until / 終了</dt><dd id="until"></dd>
<dt>Hours / 時間帯</dt><dd id="hours"></dd>
</dl>
<p class="hint">Hold the code to the reader. / 読み取り機にかざしてください。</p>
</main>
</body>
</html>
`;

const CSS = `body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f0;color:#111}
main{max-width:28rem;margin:0 auto;padding:1.5rem;text-align:center}
img{width:100%;max-width:20rem;background:#fff;padding:.5rem;border-radius:.5rem}
dl{display:grid;grid-template-columns:auto 1fr;gap:.25rem 1rem;text-align:left}
.hint{color:#555;font-size:.9rem}`;

const JS = `'use strict';
(function () {
  var STORE = 'monban-key';
  var status = document.getElementById('status');
  function show(k) {
    var img = document.getElementById('qr');
    img.src = 'data:image/svg+xml;charset=utf-8,' + encodeURIComponent(k.qrSvg);
    img.hidden = false;
    document.getElementById('from').textContent = new Date(k.validFrom).toLocaleString();
    document.getElementById('until').textContent = new Date(k.validUntil).toLocaleString();
    var days = k.weekdays.length ? k.weekdays.join(' ') : '';
    document.getElementById('hours').textContent = (days + ' ' + (k.windows.join(', ') || '24h')).trim();
    document.getElementById('details').hidden = false;
    status.textContent = k.label || '';
  }
  var token = location.hash.slice(1);
  if (token) {
    // The token leaves the address bar (and the history) at once.
    history.replaceState(null, '', location.pathname);
    fetch('/api/key-links/open', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: token }),
      credentials: 'omit',
      referrerPolicy: 'no-referrer'
    }).then(function (r) {
      if (!r.ok) throw new Error(String(r.status));
      return r.json();
    }).then(function (k) {
      try { localStorage.setItem(STORE, JSON.stringify(k)); } catch (e) {}
      show(k);
    }).catch(function () {
      status.textContent = 'This link has expired or was withdrawn. / このリンクは無効です。';
    });
  } else {
    var kept = null;
    try { kept = JSON.parse(localStorage.getItem(STORE) || 'null'); } catch (e) {}
    if (kept) show(kept);
    else status.textContent = 'Open the link you were sent. / 送られたリンクを開いてください。';
  }
})();
`;

const MANIFEST = JSON.stringify({
  name: 'Monban key',
  short_name: 'Key',
  start_url: '/k/',
  scope: '/k/',
  display: 'standalone',
  background_color: '#f4f4f0',
  theme_color: '#222222',
  icons: [],
});

export async function keyPageRoutes(app: FastifyInstance): Promise<void> {
  servePhonePage(app, {
    prefix: '/k',
    html: HTML,
    script: ['key.js', JS],
    style: ['key.css', CSS],
    manifest: MANIFEST,
  });
}
