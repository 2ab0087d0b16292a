/**
 * The web page: draw a digit, pick the engine (MegEngine Lite, MindSpore Lite or both), see each
 * engine's top-3 classes with probability bars and inference time side by side.
 */
export const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lite-demo · handwritten digits on MegEngine Lite and MindSpore Lite</title>
<style>
  :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
  [hidden] { display: none !important; }
  body { margin: 0 auto; max-width: 760px; padding: 1.5rem; }
  h1 { font-size: 1.4rem; margin: 0 0 .25rem; }
  p.sub { margin: 0 0 1rem; opacity: .75; }
  .row { display: flex; gap: 1.5rem; flex-wrap: wrap; align-items: flex-start; }
  #pad { background: #000; border-radius: 8px; touch-action: none; cursor: crosshair; box-shadow: 0 1px 4px #0006; }
  .buttons { display: flex; gap: .5rem; margin-top: .5rem; }
  button { font-size: 1rem; padding: .4rem 1rem; border-radius: 6px; border: 1px solid #8888; cursor: pointer; }
  #result { min-width: 300px; flex: 1; }
  .engines { display: flex; gap: 1rem; margin-bottom: .75rem; flex-wrap: wrap; }
  .engines label { cursor: pointer; }
  .panels { display: grid; grid-template-columns: 1fr 1fr; gap: 1rem; }
  .panel { border: 1px solid #8884; border-radius: 8px; padding: .5rem .75rem; }
  .panel.off { opacity: .35; }
  .panel h2 { font-size: .95rem; margin: 0 0 .25rem; }
  .prediction { font-size: 3.5rem; font-weight: 700; line-height: 1; min-height: 3.5rem; }
  .bar { display: grid; grid-template-columns: 1.2rem 1fr 3.8rem; align-items: center; gap: .5rem; margin: .35rem 0; }
  .track { background: #8883; border-radius: 4px; height: 1.1rem; overflow: hidden; }
  .fill { background: #2f7de1; height: 100%; width: 0; transition: width .2s; }
  .bar:first-child .fill { background: #22a35a; }
  .timing, #status, #info, #agreement { font-size: .85rem; opacity: .8; margin-top: .5rem; }
  #seen { image-rendering: pixelated; width: 84px; height: 84px; border: 1px solid #8886; background: #000; }
  .seen { display: flex; align-items: center; gap: .5rem; margin-top: .75rem; font-size: .85rem; }
  .seen span { opacity: .8; }
</style>
</head>
<body>
<h1>Handwritten digits · MegEngine Lite and MindSpore Lite in Node.js</h1>
<p class="sub">Draw one digit (0–9) in the black box. The server runs a small CNN trained on real MNIST: the same weights through <code>@lite/core</code> (MegEngine Lite) and <code>@lite/mindspore</code> (MindSpore Lite).</p>
<div class="row">
  <div>
    <canvas id="pad" width="280" height="280" aria-label="drawing pad"></canvas>
    <div class="buttons">
      <button id="classify" type="button">Classify</button>
      <button id="clear" type="button">Clear</button>
    </div>
  </div>
  <div id="result">
    <fieldset class="engines" id="engines"><legend>engine</legend>
      <label><input type="radio" name="engine" value="megengine"> MegEngine Lite</label>
      <label><input type="radio" name="engine" value="mindspore"> MindSpore Lite</label>
      <label><input type="radio" name="engine" value="both" checked> both</label>
    </fieldset>
    <div class="panels">
      <section class="panel" id="panel-megengine" data-engine="megengine">
        <h2>MegEngine Lite</h2>
        <div class="prediction" aria-live="polite"></div>
        <div class="bars"></div>
        <div class="timing"></div>
      </section>
      <section class="panel" id="panel-mindspore" data-engine="mindspore">
        <h2>MindSpore Lite</h2>
        <div class="prediction" aria-live="polite"></div>
        <div class="bars"></div>
        <div class="timing"></div>
      </section>
    </div>
    <div id="agreement"></div>
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

  const ENGINES = ['megengine', 'mindspore'];
  const part = (engine, cls) => $('panel-' + engine).querySelector('.' + cls);
  let named = false; // the server serves engines by name (GET /api/info lists them)
  const chosen = () => document.querySelector('input[name="engine"]:checked').value;
  function clearPanel(engine) {
    part(engine, 'prediction').textContent = '';
    part(engine, 'bars').textContent = '';
    part(engine, 'timing').textContent = '';
  }
  function clear() {
    ctx.fillStyle = '#000';
    ctx.fillRect(0, 0, pad.width, pad.height);
    dirty = false;
    for (const e of ENGINES) clearPanel(e);
    $('agreement').textContent = '';
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

  function renderEngine(engine, res) {
    part(engine, 'prediction').textContent = String(res.top[0].digit);
    const bars = part(engine, 'bars');
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
    part(engine, 'timing').textContent = 'inference ' + res.inferenceMs.toFixed(2) + ' ms (server side)';
  }
  function render(res) {
    // a server without named engines answers with its one engine's fields only
    const results = res.results || [Object.assign({ engine: ENGINES[0] }, res)];
    for (const e of ENGINES) {
      const r = results.find((x) => x.engine === e);
      $('panel-' + e).classList.toggle('off', !r);
      if (r) renderEngine(e, r); else clearPanel(e);
    }
    $('agreement').textContent = res.agreement
      ? (res.agreement.sameDigit ? 'the engines agree' : 'the engines DISAGREE') + ' · max probability difference ' + res.agreement.maxAbsDiff.toExponential(1) + ' · request ' + res.totalMs.toFixed(2) + ' ms'
      : 'request ' + res.totalMs.toFixed(2) + ' ms (server side)';
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
      const r = await fetch('/api/classify' + (named ? '?engine=' + encodeURIComponent(chosen()) : ''), { method: 'POST', headers: { 'content-type': 'image/png' }, body: blob });
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
  for (const radio of document.querySelectorAll('input[name="engine"]')) {
    radio.addEventListener('change', () => { if (dirty) { clearTimeout(timer); classify(); } });
  }
  fetch('/api/info').then((r) => r.json()).then((info) => {
    const parts = [];
    named = Boolean(info.engines);
    $('engines').hidden = !named;
    if (named) {
      // only the engines this server runs can be picked ("both" needs two)
      const served = ENGINES.filter((e) => info.engines[e]);
      for (const radio of document.querySelectorAll('input[name="engine"]')) {
        radio.disabled = radio.value === 'both' ? served.length < 2 : !served.includes(radio.value);
      }
      const checked = document.querySelector('input[name="engine"]:checked');
      if (checked.disabled) document.querySelector('input[name="engine"]:not(:disabled)').checked = true;
    }
    if (info.engines) {
      for (const e of ENGINES) if (info.engines[e]) parts.push(info.engines[e].runtime + ' (' + info.engines[e].model + ', ' + info.engines[e].serving + ')');
    } else if (info.runtime) parts.push('MegEngine Lite ' + info.runtime);
    if (typeof info.heldoutAccuracy === 'number') parts.push('held-out accuracy ' + (info.heldoutAccuracy * 100).toFixed(2) + '%');
    if (info.threads) parts.push(info.threads + ' thread(s)');
    $('info').textContent = parts.join(' · ');
  }).catch(() => {});
  clear();
})();
`;
