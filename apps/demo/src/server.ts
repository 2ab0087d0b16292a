import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENGINE_NAMES, type ClassifyFn, type EngineName } from './engine.js';
import { PIXELS } from './heldout.js';
import { BadImageError, decodePngToInk } from './image.js';
import { APP_JS, PAGE_HTML } from './page.js';
import { mnistPreprocess, topK } from './preprocess.js';

export interface ServerOptions {
  /** The inference: a 28x28 float32 input (pixel/255) -> softmax probabilities + time. */
  classify: ClassifyFn;
  /** Largest request body accepted (bytes); default 512 KiB. */
  maxBodyBytes?: number;
  /** Largest PNG side accepted (pixels); default 1024. */
  maxImageSide?: number;
  /** Extra facts for GET /api/info (model, accuracy, runtime). */
  info?: Record<string, unknown>;
  /**
   * The engines `POST /api/classify?engine=megengine|mindspore|both` can pick (the same network
   * on each). Without `?engine=` the request goes to `classify`.
   */
  engines?: Partial<Record<EngineName, ClassifyFn>>;
}

/** One engine's answer in a `?engine=` request. */
export interface EngineResult {
  engine: EngineName;
  top: { digit: number; prob: number }[];
  prob: number[];
  inferenceMs: number;
}

export interface ClassifyResponse {
  top: { digit: number; prob: number }[];
  prob: number[];
  /** Inference time (input copy + forward + output) in ms, measured around the engine call. */
  inferenceMs: number;
  /** Whole request handling (decode + preprocess + inference) in ms. */
  totalMs: number;
  /** The 28x28 input the model saw, rounded to 3 decimals. */
  input: number[];
  /** With `?engine=`: each engine's answer (top-level fields = the first of them), in engine order. */
  results?: EngineResult[];
  /** With `?engine=both`: whether the engines chose the same digit, and the largest probability difference. */
  agreement?: { sameDigit: boolean; maxAbsDiff: number };
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const SECURITY_HEADERS = {
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...SECURITY_HEADERS,
    ...extra,
  });
  res.end(body);
}

function sendJson(res: http.ServerResponse, status: number, value: unknown, extra: Record<string, string> = {}): void {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), extra);
}

function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limit) {
      reject(new HttpError(413, `request body too large (limit ${limit} bytes)`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      if (failed) return;
      size += chunk.length;
      if (size > limit) {
        failed = true;
        reject(new HttpError(413, `request body too large (limit ${limit} bytes)`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!failed) resolve(Buffer.concat(chunks));
    });
    req.on('error', (e) => {
      if (!failed) {
        failed = true;
        reject(e);
      }
    });
  });
}

/** Validates the JSON body `{ "pixels": number[784] }` (values in [0, 1], an MNIST-formatted 28x28 input). */
export function parsePixelsJson(body: Buffer): Float32Array {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new HttpError(400, 'body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || !('pixels' in value)) {
    throw new HttpError(400, 'expected a JSON object {"pixels": [784 numbers in 0..1]}');
  }
  const pixels = (value as { pixels: unknown }).pixels;
  if (!Array.isArray(pixels) || pixels.length !== PIXELS) {
    throw new HttpError(400, `"pixels" must be an array of ${PIXELS} numbers (28x28, row-major)`);
  }
  const input = new Float32Array(PIXELS);
  for (let i = 0; i < PIXELS; i++) {
    const v: unknown = pixels[i];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
      throw new HttpError(400, `"pixels"[${i}] must be a number in [0, 1]`);
    }
    input[i] = v;
  }
  return input;
}

function mediaType(req: http.IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
}

export function createDemoServer(opts: ServerOptions): http.Server {
  const maxBody = opts.maxBodyBytes ?? 512 * 1024;
  const maxSide = opts.maxImageSide ?? 1024;

  /** The engines a request asks for (`?engine=`), or null for the default `classify`. */
  function pickEngines(url: URL): [EngineName, ClassifyFn][] | null {
    const wanted = url.searchParams.get('engine');
    if (wanted === null) return null;
    const served = ENGINE_NAMES.flatMap((name): [EngineName, ClassifyFn][] => {
      const fn = opts.engines?.[name];
      return fn ? [[name, fn]] : [];
    });
    if (wanted === 'both') {
      if (served.length < 2) throw new HttpError(400, `engine=both needs two engines; this server runs ${served.map(([n]) => n).join(', ') || 'none by name'}`);
      return served;
    }
    const one = served.find(([name]) => name === wanted);
    if (!one) throw new HttpError(400, `unknown engine "${wanted.slice(0, 40)}": this server runs ${[...served.map(([n]) => n), ...(served.length > 1 ? ['both'] : [])].join(', ') || 'none by name'}`);
    return [one];
  }

  async function classifyRequest(req: http.IncomingMessage, url: URL): Promise<ClassifyResponse> {
    const t0 = performance.now();
    const engines = pickEngines(url);
    const type = mediaType(req);
    if (type !== 'image/png' && type !== 'application/json') {
      // drain nothing: reject before reading
      throw new HttpError(415, 'send image/png (a drawing or photo of one digit) or application/json {"pixels": [...784]}');
    }
    const body = await readBody(req, maxBody);
    if (body.length === 0) throw new HttpError(400, 'empty body');
    let input: Float32Array;
    if (type === 'image/png') {
      let ink;
      try {
        ink = decodePngToInk(body, { maxSide });
      } catch (e) {
        if (e instanceof BadImageError) throw new HttpError(400, e.message);
        throw e;
      }
      const pre = mnistPreprocess(ink);
      if (pre.empty) throw new HttpError(422, 'no digit found in the image (it is blank)');
      input = pre.input;
    } else {
      input = parsePixelsJson(body);
    }
    const seen = Array.from(input, (v) => round(v, 3));
    if (engines === null) {
      const { prob, ms } = await opts.classify(input);
      return { ...engineResult(prob, ms), totalMs: round(performance.now() - t0, 3), input: seen };
    }
    // several engines run at once (each has its own threads); each reports its own time
    const answers = await Promise.all(engines.map(async ([name, fn]) => ({ name, ...(await fn(input)) })));
    const results = answers.map(({ name, prob, ms }): EngineResult => ({ engine: name, ...engineResult(prob, ms) }));
    const first = results[0] as EngineResult;
    const response: ClassifyResponse = { top: first.top, prob: first.prob, inferenceMs: first.inferenceMs, totalMs: round(performance.now() - t0, 3), input: seen, results };
    const [a, b] = answers;
    if (a && b) {
      let maxAbsDiff = 0;
      for (let k = 0; k < a.prob.length; k++) maxAbsDiff = Math.max(maxAbsDiff, Math.abs((a.prob[k] as number) - (b.prob[k] as number)));
      response.agreement = { sameDigit: argmaxOf(a.prob) === argmaxOf(b.prob), maxAbsDiff };
    }
    return response;
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = `${req.method ?? 'GET'} ${url.pathname}`;
    const handle = async (): Promise<void> => {
      switch (route) {
        case 'GET /':
        case 'GET /index.html':
          send(res, 200, 'text/html; charset=utf-8', PAGE_HTML, {
            'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
          });
          return;
        case 'GET /app.js':
          send(res, 200, 'text/javascript; charset=utf-8', APP_JS);
          return;
        case 'GET /api/info':
          sendJson(res, 200, opts.info ?? {});
          return;
        case 'GET /healthz':
          sendJson(res, 200, { ok: true });
          return;
        case 'POST /api/classify':
          sendJson(res, 200, await classifyRequest(req, url));
          return;
        default:
          if (['/', '/index.html', '/app.js', '/api/info', '/healthz'].includes(url.pathname)) {
            throw new HttpError(405, `method ${req.method ?? ''} not allowed`);
          }
          if (url.pathname === '/api/classify') throw new HttpError(405, 'use POST');
          throw new HttpError(404, 'not found');
      }
    };
    handle().catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : 500;
      const message = e instanceof HttpError ? e.message : 'internal error';
      if (status === 500) console.error('lite-demo serve:', e);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const extra: Record<string, string> = {};
      if (status === 405) extra['allow'] = url.pathname === '/api/classify' ? 'POST' : 'GET';
      // stop reading a body we refused; close the connection so the client stops sending
      if (status === 413 || status === 415) extra['connection'] = 'close';
      sendJson(res, status, { error: message, status }, extra);
      if (status === 413 || status === 415) req.resume();
    });
  });
}

export interface RunningServer {
  server: http.Server;
  url: string;
  port: number;
  close(): Promise<void>;
}

/** Starts the server (port 0 = a free port) on 127.0.0.1 unless `host` says otherwise. */
export async function startServer(opts: ServerOptions & { port?: number; host?: string }): Promise<RunningServer> {
  const server = createDemoServer(opts);
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function engineResult(prob: Float32Array, ms: number): Omit<EngineResult, 'engine'> {
  return {
    top: topK(prob, 3).map((t) => ({ digit: t.digit, prob: round(t.prob, 6) })),
    prob: Array.from(prob, (p) => round(p, 6)),
    inferenceMs: round(ms, 3),
  };
}

function argmaxOf(p: Float32Array): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] as number) > (p[best] as number)) best = i;
  return best;
}

function round(v: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
}
