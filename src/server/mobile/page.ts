// The phone page of mobile keys (/m/): a small installable web page served by the server, like the
// key page (/k/, keys/page.ts): strict CSP, no inline script. Opened from an invitation link
// (/m/#mmi_…, the token in the fragment: in no request line or log), it makes the device key —
// WebCrypto ECDSA P-256 with extractable: false, so the private key can be used but never read, not
// even by this page — keeps the CryptoKey in IndexedDB, and registers the public key with a
// signature over the invitation token. Afterwards it lists the doors the phone may open now and
// opens one online; for a door offline, it signs the challenge the reader shows (pasted here; a
// reader's QR, BLE or NFC transport is the hardware's part). The token format is
// contracts/mobile-token.ts; test/server/mobile/page-signing.test.ts runs this script's signing
// against the controller's verification.

import type { FastifyInstance } from 'fastify';
import { servePhonePage } from '../http/phone-page.ts';

const HTML = `<!doctype html>
<html lang="ja">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Monban mobile key / モバイルキー</title>
<link rel="icon" href="data:,">
<link rel="manifest" href="/m/manifest.webmanifest">
<link rel="stylesheet" href="/m/mobile.css">
<script src="/m/mobile.js" defer></script>
</head>
<body>
<main>
<h1>Monban</h1>
<p id="status">…</p>
<section id="doors" hidden>
<h2>Doors / 扉</h2>
<ul id="door-list"></ul>
<button id="refresh" type="button">Refresh / 更新</button>
</section>
<section id="offline" hidden>
<h2>At the door / 扉で</h2>
<label for="challenge">Challenge from the reader / 読み取り機のチャレンジ</label>
<textarea id="challenge" rows="3"></textarea>
<button id="sign" type="button">Sign / 署名</button>
<output id="token"></output>
</section>
</main>
</body>
</html>
`;

const CSS = `body{font-family:system-ui,sans-serif;margin:0;background:#f4f4f0;color:#111}
main{max-width:28rem;margin:0 auto;padding:1.5rem}
ul{list-style:none;padding:0}li{margin:.5rem 0}
button{font-size:1.1rem;padding:.6rem 1rem;width:100%}
textarea{width:100%;font-family:monospace}
output{display:block;word-break:break-all;font-family:monospace;font-size:.8rem;margin-top:.5rem}`;

const JS = `'use strict';
(function (root) {
  var ALG = { name: 'ECDSA', namedCurve: 'P-256' };
  var SIGN = { name: 'ECDSA', hash: 'SHA-256' };
  var SERVER = '~server';

  function b64u(bytes) {
    var s = '';
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '');
  }
  function utf8(text) { return new TextEncoder().encode(text); }
  // contracts/mobile-token.ts: the payload keys in this order, signed as "mm1.<payload>".
  function payload(c) {
    return b64u(utf8(JSON.stringify({ d: c.device, c: c.issuer, r: c.door, n: c.nonce, t: c.issuedAt })));
  }
  async function sign(key, text) {
    return b64u(new Uint8Array(await crypto.subtle.sign(SIGN, key, utf8(text))));
  }
  async function token(key, claim) {
    var p = payload(claim);
    return 'mm1.' + p + '.' + (await sign(key, 'mm1.' + p));
  }
  async function newDevice() {
    var pair = await crypto.subtle.generateKey(ALG, false, ['sign', 'verify']);
    var jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
    return { privateKey: pair.privateKey, publicKey: { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y } };
  }
  async function registration(key, publicKey, invitation, deviceName) {
    return { token: invitation, deviceName: deviceName, publicKey: publicKey,
             proof: await sign(key, 'mm1-register.' + invitation) };
  }
  root.monbanMobile = { payload: payload, token: token, newDevice: newDevice, registration: registration };
  if (typeof document === 'undefined') return;

  // ---------------------------------------------------------------- the page
  var status = document.getElementById('status');
  function say(text) { status.textContent = text; }
  function db() {
    return new Promise(function (resolve, reject) {
      var open = indexedDB.open('monban-mobile', 1);
      open.onupgradeneeded = function () { open.result.createObjectStore('device'); };
      open.onsuccess = function () { resolve(open.result); };
      open.onerror = function () { reject(open.error); };
    });
  }
  async function kept(value) {
    var d = await db();
    return new Promise(function (resolve, reject) {
      var tx = d.transaction('device', value === undefined ? 'readonly' : 'readwrite');
      var store = tx.objectStore('device');
      var req = value === undefined ? store.get('this') : store.put(value, 'this');
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  async function post(path, body) {
    var r = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body), credentials: 'omit', referrerPolicy: 'no-referrer' });
    var json = await r.json().catch(function () { return {}; });
    if (!r.ok) throw json.error || { code: String(r.status) };
    return json;
  }
  async function signed(device, door) {
    var c = await post('/api/mobile/challenges', door ? { device: device.id, door: door } : { device: device.id });
    return token(device.privateKey, { device: device.id, issuer: SERVER, door: c.door, nonce: c.nonce, issuedAt: c.issuedAt });
  }
  async function listDoors(device) {
    var list = document.getElementById('door-list');
    list.textContent = '';
    var answer = await post('/api/mobile/doors', { token: await signed(device) });
    answer.doors.forEach(function (door) {
      var li = document.createElement('li');
      var b = document.createElement('button');
      b.type = 'button';
      b.textContent = door.name;
      b.onclick = function () {
        say('…');
        signed(device, door.id).then(function (t) { return post('/api/mobile/open', { token: t }); })
          .then(function (r) { say(r.unlocked ? 'Open / 解錠しました' : 'Not reached / 扉に届きません'); })
          .catch(function (e) { say((e.reason || e.code || 'error') + ''); });
      };
      li.appendChild(b);
      list.appendChild(li);
    });
    document.getElementById('doors').hidden = false;
  }
  function ready(device) {
    say(device.name);
    document.getElementById('offline').hidden = false;
    document.getElementById('refresh').onclick = function () { listDoors(device).catch(function () {}); };
    document.getElementById('sign').onclick = function () {
      var c;
      try { c = JSON.parse(document.getElementById('challenge').value); } catch (e) { say('?'); return; }
      token(device.privateKey, { device: device.id, issuer: c.controller, door: c.door, nonce: c.nonce, issuedAt: c.issuedAt })
        .then(function (t) { document.getElementById('token').textContent = t; });
    };
    listDoors(device).catch(function () { say(device.name + ' (offline)'); });
  }
  async function start() {
    var invitation = location.hash.slice(1);
    if (invitation) {
      // The token leaves the address bar (and the history) at once.
      history.replaceState(null, '', location.pathname);
      var made = await newDevice();
      var name = (navigator.platform || 'phone').slice(0, 100);
      var answer = await post('/api/mobile/register', await registration(made.privateKey, made.publicKey, invitation, name));
      var device = { id: answer.device, name: answer.deviceName, privateKey: made.privateKey };
      await kept(device);
      ready(device);
      return;
    }
    var stored = await kept();
    if (stored) ready(stored);
    else say('Open the invitation link you were sent. / 送られた招待リンクを開いてください。');
  }
  start().catch(function (e) {
    say(e && e.code === 'MOBILE_INVITATION_GONE'
      ? 'This invitation has expired or was used. / この招待は無効です。'
      : 'Something went wrong. / エラーが発生しました。');
  });
})(typeof self !== 'undefined' ? self : globalThis);
`;

const MANIFEST = JSON.stringify({
  name: 'Monban mobile key',
  short_name: 'Mobile key',
  start_url: '/m/',
  scope: '/m/',
  display: 'standalone',
  background_color: '#f4f4f0',
  theme_color: '#222222',
  icons: [],
});

/** The page's script, for the test that runs its signing in Node. */
export const MOBILE_PAGE_SCRIPT = JS;

export async function mobilePageRoutes(app: FastifyInstance): Promise<void> {
  servePhonePage(app, {
    prefix: '/m',
    html: HTML,
    script: ['mobile.js', JS],
    style: ['mobile.css', CSS],
    manifest: MANIFEST,
  });
}
