/** The web page: draw a digit, see the top-3 classes with probability bars and the inference time. */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lite-demo · handwritten digits on MegEngine Lite</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  body { margin: 0 auto; max-width: 760px; padding: 1.5rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  p.sub { margin: 0 0 1rem; opacity: .75; }
  .row { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
  #pad { background: #000; border-radius: 8px; touch-action: none; cursor: crosshair; box-shadow: 0 1px 4px #0006; }
  .buttons { display: flex; gap: .5rem; margin-top: .5rem; }
  button { font-size: 1rem; padding: .4rem 1rem; border-radius: 6px; border: 1px solid #8888; cursor: pointer; }
  #result { min-width: 280px; flex: 1; }
  #prediction { font-size: 4rem; font-weight: 700; line-height: 1; min-height: 4rem; }
  .bar { display: grid; grid-template-columns: 1.5rem 1fr 4.5rem; align-items: center; gap: .5rem; margin: .35rem 0; }
  .track { background: #8883; border-radius: 4px; height: 1.1rem; overflow: hidden; }
  .fill { background: #2f7de1; height: 100%; width: 0; transition: width .2s; }
  .bar:first-child .fill { background: #22a35a; }
  #timing, #status, #info { font-size: .9rem; opacity: .8; margin-top: .5rem; }
  #seen { image-rendering: pixelated; width: 84px; height: 84px; border: 1px solid #8886; background: #000; }
  .seen { display: flex; align-items: center; gap: .5rem; margin-top: .75rem; font-size: .85rem; }
  .seen span { opacity: .8; }
</style>
</head>
<body>
<h1>Handwritten digits · MegEngine Lite in Node.js</h1>
<p class="sub">Draw one digit (0–9) in the black box. The server runs a small CNN trained on real MNIST through <code>@lite/core</code>.</p>
<div class="row">
  <div>
    <canvas id="pad" width="280" height="280" aria-label="drawing pad"></canvas>
    <div class="buttons">
      <button id="classify" type="button">Classify</button>
      <button id="clear" type="button">Clear</button>
    </div>
  </div>
  <div id="result">
    <div id="prediction" data-testid="prediction" aria-live="polite"></div>
    <div id="bars"></div>
    <div id="timing" data-testid="timing"></div>
    <div class="seen"><canvas id="seen" width="28" height="28"></canvas><span>what the model saw (28×28, MNIST-style)</span></div>
    <div id="status" role="status"></div>
    <div id="info"></div>
  </div>
</div>
<script src="/app.js"></script>
</body>
</html>
`;

export const APP_JS = `'use strict';
(() => {
  const pad = document.getElementById('pad');
  const ctx = pad.getContext('2d');
  const seen = document.getElementById('seen').getContext('2d');
  const $ = (id) => document.getElementById(id);
  let drawing = false, dirty = false, last = null, timer = 0, inflight = false, again = false;

  function clear() {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
    dirty = false;
    $('prediction').textContent = '';
    $('bars').textContent = '';
    $('timing').textContent = '';
    $('status').textContent = 'Draw a digit.';
    seen.clearRect(0, 0, 28, 28);
  }
  function point(e) {
    const r = pad.getBoundingClientRect();
    return { x: (e.clientX - r.left) * (pad.width / r.width), y: (e.clientY - r.top) * (pad.height / r.height) };
  }
  function stroke(a, b) {
    ctx.strokeStyle = '#fff';
    ctx.lineWidth = 20;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.beginPath();
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }
  pad.addEventListener('pointerdown', (e) => {
    drawing = true;
    pad.setPointerCapture(e.pointerId);
    last = point(e);
    stroke(last, last);
    dirty = true;
  });
  pad.addEventListener('pointermove', (e) => {
    if (!drawing) return;
    const p = point(e);
    stroke(last, p);
    last = p;
  });
  const end = () => {
    if (!drawing) return;
    drawing = false;
    clearTimeout(timer);
    timer = setTimeout(classify, 250);
  };
  pad.addEventListener('pointerup', end);
  pad.addEventListener('pointercancel', end);

  function render(res) {
    $('prediction').textContent = String(res.top[0].digit);
    const bars = $('bars');
    bars.textContent = '';
    for (const t of res.top) {
      const row = document.createElement('div');
      row.className = 'bar';
      row.dataset.digit = String(t.digit);
      const label = document.createElement('span');
      label.textContent = String(t.digit);
      const track = document.createElement('div');
      track.className = 'track';
      const fill = document.createElement('div');
      fill.className = 'fill';
      fill.style.width = (t.prob * 100).toFixed(1) + '%';
      track.appendChild(fill);
      const pct = document.createElement('span');
      pct.textContent = (t.prob * 100).toFixed(1) + '%';
      row.append(label, track, pct);
      bars.appendChild(row);
    }
    $('timing').textContent = 'inference ' + res.inferenceMs.toFixed(2) + ' ms · request ' + res.totalMs.toFixed(2) + ' ms (server side)';
    const img = seen.createImageData(28, 28);
    for (let i = 0; i < 784; i++) {
      const v = Math.round(res.input[i] * 255);
      img.data[4 * i] = img.data[4 * i + 1] = img.data[4 * i + 2] = v;
      img.data[4 * i + 3] = 255;
    }
    seen.putImageData(img, 0, 0);
  }

  async function classify() {
    if (!dirty) { $('status').textContent = 'Draw a digit first.'; return; }
    if (inflight) { again = true; return; }
    inflight = true;
    $('status').textContent = 'classifying…';
    try {
      const blob = await new Promise((resolve) => pad.toBlob(resolve, 'image/png'));
      const r = await fetch('/api/classify', { method: 'POST', headers: { 'content-type': 'image/png' }, body: blob });
      const body = await r.json();
      if (!r.ok) {
        $('status').textContent = body.error || ('error ' + r.status);
      } else {
        render(body);
        $('status').textContent = 'done';
      }
    } catch (err) {
      $('status').textContent = 'request failed: ' + err;
    } finally {
      inflight = false;
      if (again) { again = false; classify(); }
    }
  }

  $('classify').addEventListener('click', () => { clearTimeout(timer); classify(); });
  $('clear').addEventListener('click', clear);
  fetch('/api/info').then((r) => r.json()).then((info) => {
    const parts = [];
    if (info.runtime) parts.push('MegEngine Lite ' + info.runtime);
    if (typeof info.heldoutAccuracy === 'number') parts.push('held-out accuracy ' + (info.heldoutAccuracy * 100).toFixed(2) + '%');
    if (info.threads) parts.push(info.threads + ' thread(s)');
    $('info').textContent = parts.join(' · ');
  }).catch(() => {});
  clear();
})();
`;
