#!/usr/bin/env node
// MindIR fuzzer: mutates the MindSpore fixture models (fixtures/mindspore/*.mindir) where their
// structure lives, not only in the weights (97% of lenet.mindir is raw_data payload), and builds
// every mutant IN-PROCESS in one long-lived child (tools/fuzz/mindir-runner.mjs): buildFromBuffer
// (ModelType.MINDIR, CPU, 1 thread), then one predict with zero inputs of the declared shapes
// (dynamic dims -> 1). Results come back per mutant over the IPC channel. When the child dies
// (signal / non-zero exit) or a mutant exceeds the timeout, that mutant is a crash / hang, and a new
// child continues at the next index; each crash or hang is then run again alone in a fresh child
// (`reproducible`), since in-process a corrupted heap may only fail on a later mutant.
//
//   node tools/fuzz/mindir.mjs --count 1000 --seed 1
//   options: --models lenet,two_io,shufflenet  --timeout 30000 (per mutant)  --keep DIR (save
//            crashing / hanging mutants)  --json (print only the JSON summary)  --verbose (one line
//            per mutant)
//
// Mutations (one, or two stacked, per mutant; all from one seed, so a run is reproducible) walk the
// protobuf wire format with the schema facts of crates/mindspore/src/mindir_check.rs; the ones
// that change a field's size re-encode the length prefixes of every enclosing message, so the
// file stays well-formed protobuf and the change reaches MindSpore's loader:
//   dims     a TensorProto dims value (field 1) -> larger / smaller / 0 / negative / huge
//   reshape  a tensor's dims -> other dims with the same element count (split, merge, swap, +1)
//   dtype    a TensorProto data_type (field 2) -> another type, unknown or huge
//   varint   any other varint field (attribute ints, enum types, flags) -> edge values
//   rewire   a node input -> another value name of the model, or a node's op_type -> another op
//   dup / drop / splice / reorder   a whole field duplicated, removed, replaced by another field
//            of the same kind (same model or another fixture), moved before a sibling
//   length   a length prefix rewritten in place (no fix-ups): off by a few, 0, huge
//   structbyte  one byte outside the weight payloads set to an edge or random value
//   truncate / bitflip / zero   raw damage (cut, 1-4 bit flips anywhere, a zeroed run)
//
// Exit status: 0 when no mutant crashed or hung (and no runner died between mutants), 1 otherwise.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng } from './models.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(HERE, '../../fixtures/mindspore');
const RUNNER = join(HERE, 'mindir-runner.mjs');

export const DEFAULT_MODELS = ['lenet', 'two_io', 'shufflenet'];

/** Parses `--key value` / `--flag` arguments. */
export function parseArgs(argv) {
  const opts = { count: 1000, seed: 1, models: [...DEFAULT_MODELS], timeout: 30_000, keep: null, json: false, verbose: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--count') opts.count = Number.parseInt(next(), 10);
    else if (a === '--seed') opts.seed = Number.parseInt(next(), 10);
    else if (a === '--models') opts.models = next().split(',').filter(Boolean);
    else if (a === '--timeout') opts.timeout = Number.parseInt(next(), 10);
    else if (a === '--keep') opts.keep = resolve(next());
    else if (a === '--json') opts.json = true;
    else if (a === '--verbose') opts.verbose = true;
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 31).join('\n') + '\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (!(opts.count > 0) || !(opts.timeout > 0) || !Number.isInteger(opts.seed) || opts.models.length === 0) {
    throw new Error('count and timeout must be positive, seed an integer, and models not empty');
  }
  return opts;
}

// ---------------------------------------------------------------------------------------------
// Protobuf wire format
// ---------------------------------------------------------------------------------------------

/** Which length-delimited fields hold which message (mind_ir.proto; see mindir_check.rs). */
const SCHEMA = {
  Model: { 7: 'Graph', 8: 'Graph', 12: 'Primitive' },
  Graph: { 1: 'Node', 3: 'Tensor', 5: 'ValueInfo', 6: 'ValueInfo', 8: 'Attribute', 10: 'MapTensor' },
  Node: { 5: 'Attribute', 8: 'Attribute', 9: 'Attribute' },
  ValueInfo: { 2: 'Tensor', 5: 'Attribute' },
  Primitive: { 3: 'Attribute' },
  Attribute: { 6: 'Tensor', 7: 'Graph', 12: 'Tensor', 13: 'Graph', 17: 'Attribute', 18: 'SeqInfo' },
  SeqInfo: { 2: 'Attribute' },
  MapTensor: { 2: 'Attribute', 3: 'Tensor', 4: 'Tensor', 5: 'Tensor' },
  Tensor: { 12: 'External', 17: 'Quant' },
  Quant: { 2: 'Attribute' },
  External: {},
};

/** Field names for mutation descriptions (others print as numbers). */
const FIELD_NAMES = {
  Model: { 1: 'ir_version', 2: 'producer_name', 5: 'model_version', 7: 'graph', 8: 'functions', 10: 'little_endian', 12: 'primitives', 13: 'mind_ir_version' },
  Graph: { 1: 'node', 2: 'name', 3: 'parameter', 5: 'input', 6: 'output', 8: 'attribute', 10: 'map_parameter' },
  Node: { 1: 'input', 2: 'output', 3: 'name', 4: 'op_type', 5: 'attribute', 7: 'domain' },
  ValueInfo: { 1: 'name', 2: 'tensor', 4: 'denotation', 5: 'attr_info' },
  Primitive: { 1: 'name', 2: 'op_type', 3: 'attribute' },
  Attribute: { 1: 'name', 2: 'f', 3: 'i', 5: 's', 6: 't', 7: 'g', 10: 'ints', 11: 'strings', 12: 'tensors', 13: 'graphs', 16: 'type', 17: 'values', 18: 'seq_info' },
  Tensor: { 1: 'dims', 2: 'data_type', 3: 'float_data', 7: 'name', 9: 'raw_data', 12: 'external_data', 16: 'compression_type', 17: 'quant_params' },
};

/** TensorProto fields that hold the weights (raw_data and packed typed data): "payload". */
const PAYLOAD_FIELDS = new Set([3, 4, 6, 9, 10, 11]);

/** The field naming a message, by message type. */
const NAME_FIELD = { Tensor: 7, Node: 3, Graph: 2, ValueInfo: 1, Primitive: 1, Attribute: 1, MapTensor: 1 };

function readVarint(b, p, end) {
  let v = 0n;
  let shift = 0n;
  for (let k = 0; k < 10; k++) {
    if (p >= end) throw new Error('truncated varint');
    const x = b[p++];
    v |= BigInt(x & 0x7f) << shift;
    shift += 7n;
    if ((x & 0x80) === 0) return [BigInt.asUintN(64, v), p];
  }
  throw new Error('varint longer than 10 bytes');
}

/** Encodes a varint (negative values as 64-bit two's complement, as protobuf does for int64). */
export function encodeVarint(value) {
  let v = BigInt.asUintN(64, BigInt(value));
  const out = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

function parseInto(b, start, end, type, parent, depth, out) {
  let p = start;
  while (p < end) {
    const tagAt = p;
    let tag;
    [tag, p] = readVarint(b, p, end);
    const num = Number(tag >> 3n);
    const wt = Number(tag & 7n);
    if (num === 0 || tag > 0xffffffffn) throw new Error('invalid field number');
    const rec = { type, num, wt, parent, depth, tagAt, valAt: p, payloadAt: -1, end: -1, value: null, sub: null, kids: null };
    if (wt === 0) [rec.value, p] = readVarint(b, p, end);
    else if (wt === 1 || wt === 5) {
      p += wt === 1 ? 8 : 4;
      if (p > end) throw new Error('truncated fixed-width value');
    } else if (wt === 2) {
      let len;
      [len, p] = readVarint(b, p, end);
      if (len > BigInt(end - p)) throw new Error('length past the end');
      rec.payloadAt = p;
      p += Number(len);
    } else throw new Error(`wire type ${wt}`);
    rec.end = p;
    const index = out.length;
    out.push(rec);
    if (parent >= 0) out[parent].kids.push(index);
    const sub = wt === 2 ? SCHEMA[type]?.[num] : undefined;
    if (sub && depth < 90) {
      // A body that does not parse as its message stays a leaf (bytes).
      const mark = out.length;
      rec.kids = [];
      try {
        parseInto(b, rec.payloadAt, rec.end, sub, index, depth + 1, out);
        rec.sub = sub;
      } catch {
        out.length = mark;
        rec.kids = null;
      }
    }
  }
}

/**
 * Walks MindIR bytes as a ModelProto: every field (at every depth the schema names) as a record
 * { type, num, wt, parent, depth, tagAt, valAt, payloadAt, end, value, sub, kids }, in file order.
 * Returns null when the top level is not protobuf.
 */
export function walkMindir(bytes) {
  const fields = [];
  const roots = [];
  try {
    parseInto(bytes, 0, bytes.length, 'Model', -1, 0, fields);
  } catch {
    return null;
  }
  fields.forEach((f, i) => {
    if (f.parent < 0) roots.push(i);
  });
  return { fields, roots };
}

/** Byte ranges [start, end) of weight payloads (sorted, disjoint). */
function payloadRanges(walk) {
  const ranges = [];
  for (const f of walk.fields) {
    if (f.type === 'Tensor' && f.wt === 2 && PAYLOAD_FIELDS.has(f.num) && f.end > f.payloadAt) ranges.push([f.payloadAt, f.end]);
  }
  return ranges.sort((a, b) => a[0] - b[0]);
}

/** The `k`-th byte position outside the weight payloads. */
function structuralPosition(ranges, length, k) {
  let pos = k;
  for (const [s, e] of ranges) {
    if (pos < s) return pos;
    pos += e - s;
  }
  return Math.min(pos, length - 1);
}

function structuralCount(ranges, length) {
  return length - ranges.reduce((n, [s, e]) => n + (e - s), 0);
}

/** Applies non-overlapping edits { at, end, bytes } to `bytes`. */
function applyEdits(bytes, edits) {
  edits.sort((a, b) => a.at - b.at);
  let size = bytes.length;
  for (const e of edits) size += e.bytes.length - (e.end - e.at);
  const out = new Uint8Array(size);
  let from = 0;
  let to = 0;
  for (const e of edits) {
    out.set(bytes.subarray(from, e.at), to);
    to += e.at - from;
    out.set(e.bytes, to);
    to += e.bytes.length;
    from = e.end;
  }
  out.set(bytes.subarray(from), to);
  return out;
}

/**
 * Replaces bytes [a, b) inside the message `parent` (a field index, -1 = top level) and re-encodes
 * the length prefix of that message and of every message around it.
 */
function replaceFixed(bytes, walk, parent, a, b, ins) {
  const edits = [{ at: a, end: b, bytes: ins }];
  let delta = ins.length - (b - a);
  for (let k = parent; k >= 0 && delta !== 0; k = walk.fields[k].parent) {
    const f = walk.fields[k];
    const enc = encodeVarint(f.end - f.payloadAt + delta);
    edits.push({ at: f.valAt, end: f.payloadAt, bytes: enc });
    delta += enc.length - (f.payloadAt - f.valAt);
  }
  return applyEdits(bytes, edits);
}

function tagBytes(num, wt) {
  return encodeVarint((BigInt(num) << 3n) | BigInt(wt));
}

function lengthDelimited(num, body) {
  const tag = tagBytes(num, 2);
  const len = encodeVarint(body.length);
  const out = new Uint8Array(tag.length + len.length + body.length);
  out.set(tag, 0);
  out.set(len, tag.length);
  out.set(body, tag.length + len.length);
  return out;
}

function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

const decoder = new TextDecoder('utf-8', { fatal: false });

function text(bytes, f) {
  return decoder.decode(bytes.subarray(f.payloadAt, f.end));
}

/** The name of a message record (its name field), if any. */
function nameOf(bytes, walk, index) {
  const f = walk.fields[index];
  const want = NAME_FIELD[f.sub];
  if (!want || !f.kids) return null;
  let name = null;
  for (const k of f.kids) {
    const c = walk.fields[k];
    if (c.num === want && c.wt === 2) name = text(bytes, c);
  }
  return name;
}

/** Where a field sits, as `graph/parameter "U0.1:U2"/dims`. */
function pathOf(bytes, walk, index) {
  const parts = [];
  for (let k = index; k >= 0; k = walk.fields[k].parent) {
    const f = walk.fields[k];
    let part = FIELD_NAMES[f.type]?.[f.num] ?? String(f.num);
    const name = f.sub ? nameOf(bytes, walk, k) : null;
    if (name) part += ` ${JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}...` : name)}`;
    parts.push(part);
  }
  return parts.reverse().join('/');
}

/** The deepest field containing byte `pos`. */
function fieldAt(walk, pos) {
  let best = -1;
  for (let i = 0; i < walk.fields.length; i++) {
    const f = walk.fields[i];
    if (f.tagAt <= pos && pos < f.end && (best < 0 || f.depth > walk.fields[best].depth)) best = i;
  }
  return best;
}

function describeAt(bytes, walk, pos) {
  if (!walk) return `@${pos}`;
  const i = fieldAt(walk, pos);
  if (i < 0) return `@${pos}`;
  const f = walk.fields[i];
  const part = pos < f.valAt ? 'tag' : f.wt === 2 && pos < f.payloadAt ? 'length' : f.wt === 2 ? 'payload' : 'value';
  return `@${pos} ${pathOf(bytes, walk, i)} (${part})`;
}

// ---------------------------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------------------------

const pick = (r, list) => list[Math.floor(r() * list.length)];
const below = (r, n) => Math.floor(r() * n);
const big = (v) => BigInt.asIntN(64, v);

function candidates(walk, test) {
  const out = [];
  walk.fields.forEach((f, i) => {
    if (test(f, i)) out.push(i);
  });
  return out;
}

/** Replaces the value of varint field `i` (re-encoding enclosing lengths). */
function setVarint(ctx, i, value) {
  const f = ctx.walk.fields[i];
  return replaceFixed(ctx.bytes, ctx.walk, f.parent, f.valAt, f.end, encodeVarint(value));
}

function dimValues(v) {
  const s = big(v);
  return [s * 2n, s + 1n, s > 0n ? s - 1n : 2n, s / 2n, s * 1000n, 0n, 1n, -1n, -2n, 65536n, 2n ** 31n - 1n, 2n ** 31n, 2n ** 32n + s, 2n ** 40n, 2n ** 62n, 2n ** 63n - 1n, -(2n ** 63n)];
}

function factorsOf(n) {
  const out = [];
  for (let f = 2n; f * f <= n && f < 1000n; f++) if (n % f === 0n) out.push(f);
  return out;
}

/** Each mutation takes (ctx = { bytes, walk, donor }, random) and returns { bytes, detail } or null when it does not apply. */
export const MUTATIONS = {
  structbyte(ctx, r) {
    const { bytes, walk } = ctx;
    if (bytes.length === 0) return null;
    const ranges = walk ? payloadRanges(walk) : [];
    const pos = structuralPosition(ranges, bytes.length, below(r, structuralCount(ranges, bytes.length)));
    const old = bytes[pos];
    const value = pick(r, [0x00, 0x01, 0x02, 0x0c, 0x40, 0x7f, 0x80, 0xff, (old + 1) & 0xff, (old - 1) & 0xff, (old * 2) & 0xff, below(r, 256)]);
    if (value === old) return null;
    const out = Uint8Array.from(bytes);
    out[pos] = value;
    return { bytes: out, detail: `${describeAt(bytes, walk, pos)} ${old} -> ${value}` };
  },
  dims(ctx, r) {
    const { walk, bytes } = ctx;
    const dims = candidates(walk, (f) => f.type === 'Tensor' && f.num === 1 && f.wt === 0);
    if (dims.length === 0) return null;
    // Tensors with data (parameters) twice as likely as shapes without data.
    const withData = dims.filter((i) => walk.fields[walk.fields[i].parent].kids.some((k) => walk.fields[k].num === 9));
    const i = withData.length > 0 && r() < 0.67 ? pick(r, withData) : pick(r, dims);
    const f = walk.fields[i];
    const to = pick(r, dimValues(f.value));
    if (big(to) === big(f.value)) return null;
    return { bytes: setVarint(ctx, i, to), detail: `${pathOf(bytes, walk, i)} ${big(f.value)} -> ${big(to)}` };
  },
  reshape(ctx, r) {
    const { walk, bytes } = ctx;
    const tensors = candidates(walk, (f) => f.sub === 'Tensor' && f.kids.some((k) => walk.fields[k].num === 1 && walk.fields[k].wt === 0));
    if (tensors.length === 0) return null;
    const withData = tensors.filter((i) => walk.fields[i].kids.some((k) => walk.fields[k].num === 9));
    const t = withData.length > 0 && r() < 0.75 ? pick(r, withData) : pick(r, tensors);
    const kids = walk.fields[t].kids;
    const dimKids = kids.filter((k) => walk.fields[k].num === 1 && walk.fields[k].wt === 0);
    // The dims fields must be contiguous to be replaced as one run.
    const first = kids.indexOf(dimKids[0]);
    if (kids.slice(first, first + dimKids.length).some((k, j) => k !== dimKids[j])) return null;
    const dims = dimKids.map((k) => big(walk.fields[k].value));
    let next;
    const how = pick(r, ['split', 'merge', 'swap', 'unsqueeze', 'squeeze', 'flatten']);
    if (how === 'split') {
      const at = below(r, dims.length);
      const fs = factorsOf(dims[at] < 0n ? 0n : dims[at]);
      if (fs.length === 0) return null;
      const f = pick(r, fs);
      next = [...dims.slice(0, at), f, dims[at] / f, ...dims.slice(at + 1)];
    } else if (how === 'merge') {
      if (dims.length < 2) return null;
      const at = below(r, dims.length - 1);
      next = [...dims.slice(0, at), dims[at] * dims[at + 1], ...dims.slice(at + 2)];
    } else if (how === 'swap') {
      if (dims.length < 2) return null;
      const a = below(r, dims.length);
      const b = below(r, dims.length);
      if (dims[a] === dims[b]) return null;
      next = [...dims];
      [next[a], next[b]] = [next[b], next[a]];
    } else if (how === 'unsqueeze') {
      const at = below(r, dims.length + 1);
      next = [...dims.slice(0, at), 1n, ...dims.slice(at)];
    } else if (how === 'squeeze') {
      const at = dims.indexOf(1n);
      if (at < 0) return null;
      next = dims.filter((_, j) => j !== at);
    } else {
      if (dims.length < 2) return null;
      next = [dims.reduce((a, d) => a * d, 1n)];
    }
    const run = concat(next.map((d) => concat([tagBytes(1, 0), encodeVarint(d)])));
    const a = walk.fields[dimKids[0]].tagAt;
    const b = walk.fields[dimKids[dimKids.length - 1]].end;
    return { bytes: replaceFixed(bytes, walk, t, a, b, run), detail: `${pathOf(bytes, walk, t)} ${how} [${dims.join(', ')}] -> [${next.join(', ')}]` };
  },
  dtype(ctx, r) {
    const { walk, bytes } = ctx;
    const types = candidates(walk, (f) => f.type === 'Tensor' && f.num === 2 && f.wt === 0);
    if (types.length === 0) return null;
    const i = pick(r, types);
    const f = walk.fields[i];
    const to = r() < 0.7 ? BigInt(below(r, 18)) : pick(r, [18n, 99n, 255n, 2n ** 31n - 1n, 2n ** 32n + 1n, -1n]);
    if (to === f.value) return null;
    return { bytes: setVarint(ctx, i, to), detail: `${pathOf(bytes, walk, i)} ${f.value} -> ${big(to)}` };
  },
  varint(ctx, r) {
    const { walk, bytes } = ctx;
    const vs = candidates(walk, (f) => f.wt === 0 && !(f.type === 'Tensor' && (f.num === 1 || f.num === 2)));
    if (vs.length === 0) return null;
    const i = pick(r, vs);
    const f = walk.fields[i];
    const v = big(f.value);
    const to = pick(r, [0n, 1n, 2n, v + 1n, v > 0n ? v - 1n : 3n, v ^ 1n, 7n, 19n, 20n, 255n, 2n ** 31n - 1n, 2n ** 32n - 1n, 2n ** 63n - 1n, -1n]);
    if (to === v) return null;
    return { bytes: setVarint(ctx, i, to), detail: `${pathOf(bytes, walk, i)} ${v} -> ${to}` };
  },
  rewire(ctx, r) {
    const { walk, bytes } = ctx;
    const F = walk.fields;
    if (r() < 0.7) {
      const inputs = candidates(walk, (f) => f.type === 'Node' && f.num === 1 && f.wt === 2);
      if (inputs.length === 0) return null;
      const names = new Set();
      for (const f of F) {
        if (f.wt !== 2) continue;
        if (f.type === 'Node' && f.num === 2) names.add(text(bytes, f));
        if (f.type === 'ValueInfo' && f.num === 1 && F[f.parent].type === 'Graph' && F[f.parent].num === 5) names.add(text(bytes, f));
        if (f.type === 'Tensor' && f.num === 7 && f.parent >= 0 && F[f.parent].type === 'Graph' && F[f.parent].num === 3) names.add(text(bytes, f));
      }
      const i = pick(r, inputs);
      const old = text(bytes, F[i]);
      const others = [...names].filter((n) => n !== old);
      if (others.length === 0) return null;
      const to = pick(r, others);
      const node = F[i].parent;
      return {
        bytes: replaceFixed(bytes, walk, node, F[i].tagAt, F[i].end, lengthDelimited(1, new TextEncoder().encode(to))),
        detail: `${pathOf(bytes, walk, node)} input ${JSON.stringify(old)} -> ${JSON.stringify(to)}`,
      };
    }
    const ops = candidates(walk, (f) => f.type === 'Node' && f.num === 4 && f.wt === 2);
    if (ops.length < 2) return null;
    const i = pick(r, ops);
    const j = pick(r, ops);
    const from = text(bytes, F[i]);
    const to = text(bytes, F[j]);
    if (from === to) return null;
    const node = F[i].parent;
    return {
      bytes: replaceFixed(bytes, walk, node, F[i].tagAt, F[i].end, bytes.slice(F[j].tagAt, F[j].end)),
      detail: `${pathOf(bytes, walk, node)} op_type ${JSON.stringify(from)} -> ${JSON.stringify(to)}`,
    };
  },
  dup(ctx, r) {
    const { walk, bytes } = ctx;
    const ld = candidates(walk, (f) => f.wt === 2);
    if (ld.length === 0) return null;
    const msgs = ld.filter((i) => walk.fields[i].sub);
    const i = msgs.length > 0 && r() < 0.7 ? pick(r, msgs) : pick(r, ld);
    const f = walk.fields[i];
    const copy = bytes.slice(f.tagAt, f.end);
    return { bytes: replaceFixed(bytes, walk, f.parent, f.end, f.end, copy), detail: `${pathOf(bytes, walk, i)} (${f.end - f.tagAt} B) duplicated` };
  },
  drop(ctx, r) {
    const { walk, bytes } = ctx;
    if (walk.fields.length === 0) return null;
    const i = below(r, walk.fields.length);
    const f = walk.fields[i];
    return { bytes: replaceFixed(bytes, walk, f.parent, f.tagAt, f.end, new Uint8Array(0)), detail: `${pathOf(bytes, walk, i)} (${f.end - f.tagAt} B) removed` };
  },
  splice(ctx, r) {
    const { walk, bytes, donor } = ctx;
    const ld = candidates(walk, (f) => f.wt === 2);
    if (ld.length === 0) return null;
    const i = pick(r, ld);
    const f = walk.fields[i];
    const source = donor?.walk && r() < 0.5 ? donor : ctx;
    const same = candidates(source.walk, (g) => g.wt === 2 && g.type === f.type && g.num === f.num && g.parent >= 0 === f.parent >= 0);
    const options = source === ctx ? same.filter((j) => j !== i) : same;
    if (options.length === 0) return null;
    const j = pick(r, options);
    const g = source.walk.fields[j];
    const piece = source.bytes.slice(g.tagAt, g.end);
    return {
      bytes: replaceFixed(bytes, walk, f.parent, f.tagAt, f.end, piece),
      detail: `${pathOf(bytes, walk, i)} replaced by ${source === ctx ? '' : `${source.name}'s `}${pathOf(source.bytes, source.walk, j)}`,
    };
  },
  reorder(ctx, r) {
    const { walk, bytes } = ctx;
    const parents = candidates(walk, (f) => f.kids !== null && f.kids.length >= 2);
    const useRoot = walk.roots.length >= 2 && (parents.length === 0 || r() < 0.1);
    if (!useRoot && parents.length === 0) return null;
    const p = useRoot ? -1 : pick(r, parents);
    const kids = p < 0 ? walk.roots : walk.fields[p].kids;
    const a = below(r, kids.length);
    const b = below(r, kids.length);
    if (a === b) return null;
    const order = kids.filter((_, k) => k !== a);
    order.splice(b > a ? b - 1 : b, 0, kids[a]);
    const start = walk.fields[kids[0]].tagAt;
    const end = walk.fields[kids[kids.length - 1]].end;
    const body = concat(order.map((k) => bytes.subarray(walk.fields[k].tagAt, walk.fields[k].end)));
    const moved = pathOf(bytes, walk, kids[a]);
    return { bytes: applyEdits(bytes, [{ at: start, end, bytes: body }]), detail: `${moved} moved from position ${a} to ${b > a ? b - 1 : b} of ${kids.length}` };
  },
  length(ctx, r) {
    const { walk, bytes } = ctx;
    const ld = candidates(walk, (f) => f.wt === 2);
    if (ld.length === 0) return null;
    const i = pick(r, ld);
    const f = walk.fields[i];
    const len = BigInt(f.end - f.payloadAt);
    const delta = BigInt(1 + below(r, 16));
    const to = pick(r, [len + delta, len - delta, len + 1n, len - 1n, 0n, 2n ** 31n - 1n, 2n ** 32n - 1n, 2n ** 63n]);
    if (to < 0n || to === len) return null;
    return { bytes: applyEdits(bytes, [{ at: f.valAt, end: f.payloadAt, bytes: encodeVarint(to) }]), detail: `${pathOf(bytes, walk, i)} length ${len} -> ${to} (no fix-ups)` };
  },
  truncate(ctx, r) {
    const { walk, bytes } = ctx;
    if (bytes.length < 2) return null;
    let at;
    if (walk && r() < 0.5) {
      const f = walk.fields[below(r, walk.fields.length)];
      at = pick(r, [f.tagAt, f.valAt, f.payloadAt >= 0 ? f.payloadAt : f.end, f.end - 1]);
    } else at = below(r, bytes.length);
    if (at <= 0 || at >= bytes.length) return null;
    return { bytes: bytes.slice(0, at), detail: `cut to ${at} of ${bytes.length} B (${describeAt(bytes, walk, at)})` };
  },
  bitflip(ctx, r) {
    const out = Uint8Array.from(ctx.bytes);
    if (out.length === 0) return null;
    const flips = 1 + below(r, 4);
    const where = [];
    for (let k = 0; k < flips; k++) {
      const at = below(r, out.length);
      const bit = below(r, 8);
      out[at] ^= 1 << bit;
      where.push(`${at}.${bit}`);
    }
    return { bytes: out, detail: `bits ${where.join(' ')}` };
  },
  zero(ctx, r) {
    const { walk, bytes } = ctx;
    if (bytes.length === 0) return null;
    const ranges = walk ? payloadRanges(walk) : [];
    const at = r() < 0.5 ? structuralPosition(ranges, bytes.length, below(r, structuralCount(ranges, bytes.length))) : below(r, bytes.length);
    const len = 1 + below(r, 32);
    const out = Uint8Array.from(bytes);
    out.fill(0, at, Math.min(out.length, at + len));
    return { bytes: out, detail: `${len} B zeroed from ${describeAt(bytes, walk, at)}` };
  },
};

/** Relative weights of the kinds (structure first: most bytes are weights, mutations there test little). */
export const WEIGHTS = { structbyte: 3, dims: 3, reshape: 1, dtype: 2, varint: 2, rewire: 2, dup: 1, drop: 1, splice: 1, reorder: 1, length: 1, truncate: 1, bitflip: 1, zero: 1 };
/** Kinds that need the file to walk as protobuf. */
const NEEDS_WALK = new Set(['dims', 'reshape', 'dtype', 'varint', 'rewire', 'dup', 'drop', 'splice', 'reorder', 'length']);

const walks = new WeakMap();
function cachedWalk(bytes) {
  if (!walks.has(bytes)) walks.set(bytes, walkMindir(bytes));
  return walks.get(bytes);
}

function pickKind(r, walkable) {
  const kinds = Object.keys(WEIGHTS).filter((k) => walkable || !NEEDS_WALK.has(k));
  const total = kinds.reduce((n, k) => n + WEIGHTS[k], 0);
  let x = r() * total;
  for (const k of kinds) {
    x -= WEIGHTS[k];
    if (x < 0) return k;
  }
  return kinds[kinds.length - 1];
}

/**
 * Mutant `index` of a run with `seed`: deterministic in (seed, index, the models' names, order
 * and bytes). `models` maps a name to the bytes of a .mindir file.
 */
export function makeMindirMutant(seed, index, models) {
  const r = rng((seed * 1_000_003 + index * 7919 + 0x5eed) >>> 0);
  const names = Object.keys(models);
  const model = names[below(r, names.length)];
  const donorName = names[below(r, names.length)];
  const donor = { name: donorName, bytes: models[donorName], walk: cachedWalk(models[donorName]) };
  const steps = r() < 0.75 ? 1 : 2;
  let bytes = models[model];
  let walk = cachedWalk(bytes);
  const kinds = [];
  const details = [];
  for (let s = 0; s < steps; s++) {
    let done = null;
    let kind = '';
    // A kind that does not apply here (or changes nothing) is replaced by another draw.
    for (let attempt = 0; attempt < 20 && !done; attempt++) {
      kind = attempt < 19 ? pickKind(r, walk !== null) : 'bitflip';
      done = MUTATIONS[kind]({ bytes, walk, donor }, r);
    }
    bytes = done.bytes;
    kinds.push(kind);
    details.push(done.detail);
    if (bytes.length === 0) break;
    if (s + 1 < steps) walk = walkMindir(bytes);
  }
  return { model, kinds, details, bytes };
}

// ---------------------------------------------------------------------------------------------
// The runner child
// ---------------------------------------------------------------------------------------------

/** Reads what a file received since `from` (at most `max` bytes, from the end). */
function readSince(fd, from, max = 4000) {
  const size = fstatSync(fd).size;
  if (size <= from) return { text: '', bytes: 0, size };
  const start = Math.max(from, size - max);
  const buf = Buffer.alloc(size - start);
  readSync(fd, buf, 0, buf.length, start);
  return { text: buf.toString('utf8'), bytes: size - from, size };
}

/**
 * A runner child: `run(index, bytes, timeout)` resolves to its answer or to
 * { result: 'crash' | 'hang', signal, exitCode }. stdout/stderr go to the files `out` / `err`.
 */
function startRunner(out, err) {
  const child = spawn(process.execPath, [RUNNER], {
    stdio: ['ignore', out, err, 'ipc'],
    serialization: 'advanced',
    // glibc prints its fatal messages ("free(): invalid pointer") to the tty unless told otherwise.
    env: { ...process.env, LIBC_FATAL_STDERR_: '1' },
  });
  let pending = null;
  let exited = null;
  let onReady;
  const ready = new Promise((res) => (onReady = res));
  child.on('message', (msg) => {
    if (msg?.ready || msg?.fatal) onReady(msg);
    else if (pending && msg?.index === pending.index && msg.progress) pending.phase = msg.progress;
    else if (pending && msg?.index === pending.index) {
      const p = pending;
      pending = null;
      clearTimeout(p.timer);
      p.resolve(msg);
    }
  });
  let stopping = false;
  let lastIndex = -1;
  let betweenMutants = null;
  // A death is settled once the process exited AND its IPC channel is drained (closed), so a
  // progress message written just before the crash is never lost to the race between the two.
  let disconnected = false;
  const settle = () => {
    if (!exited || !disconnected) return;
    const { code, signal } = exited;
    onReady({ fatal: `runner exited during startup (exit ${code}, signal ${signal})` });
    // Died while idle (a crash after its answer, e.g. in an engine thread), or exited badly when told to stop.
    if (!pending && lastIndex >= 0 && (!stopping || code !== 0 || signal)) betweenMutants = { afterIndex: lastIndex, when: stopping ? 'stop' : 'idle', signal, exitCode: code };
    if (pending) {
      const p = pending;
      pending = null;
      clearTimeout(p.timer);
      p.resolve(p.timedOut ? { result: 'hang', phase: p.phase } : { result: 'crash', phase: p.phase, signal, exitCode: code });
    }
    for (const f of onDead.splice(0)) f();
  };
  const onDead = [];
  child.on('disconnect', () => {
    disconnected = true;
    settle();
  });
  child.on('exit', (code, signal) => {
    exited = { code, signal };
    settle();
  });
  child.on('error', () => {
    /* reported through 'exit' */
  });
  return {
    ready,
    get alive() {
      return exited === null && !disconnected;
    },
    /** A death outside any mutant: { afterIndex, when: 'idle' | 'stop', signal, exitCode }, or null. */
    get betweenMutants() {
      return betweenMutants;
    },
    run(index, bytes, timeout) {
      return new Promise((resolveRun) => {
        if (exited || disconnected) {
          resolveRun({ result: 'crash', signal: exited?.signal ?? null, exitCode: exited?.code ?? null });
          return;
        }
        lastIndex = index;
        pending = { index, resolve: resolveRun, timedOut: false, timer: null, phase: 'build' };
        const p = pending;
        p.timer = setTimeout(() => {
          p.timedOut = true;
          child.kill('SIGKILL');
        }, timeout);
        child.send({ index, bytes }, (e) => {
          // The channel closed under us: the child is dying; 'exit' resolves.
          void e;
        });
      });
    },
    stop() {
      stopping = true;
      if (exited && disconnected) return Promise.resolve();
      return new Promise((res) => {
        onDead.push(res);
        if (child.connected) child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      });
    },
  };
}

/** Loads the fixture models (name -> bytes). */
export function loadModels(names) {
  return Object.fromEntries(names.map((n) => [n, new Uint8Array(readFileSync(join(FIXTURES, `${n}.mindir`)))]));
}

/** Runs the fuzzer; returns the summary object. `onResult(record)` is called per mutant. */
export async function fuzzMindir(opts, onResult = () => {}) {
  const models = loadModels(opts.models);
  const dir = mkdtempSync(join(tmpdir(), 'lite-mindir-fuzz-'));
  const outFd = openSync(join(dir, 'stdout'), 'a+');
  const errFd = openSync(join(dir, 'stderr'), 'a+');
  const started = Date.now();
  const counts = { ok: 0, error: 0, crash: 0, hang: 0 };
  const errorCodes = {};
  const errorPhases = {};
  const byKind = {};
  const crashes = [];
  const stderrLines = {};
  let stderrMutants = 0;
  let stdoutMutants = 0;
  let predictSkipped = 0;
  let predictRan = 0;
  let children = 0;
  let maxRss = 0;
  let runner = null;
  const exitsBetweenMutants = [];
  const retire = async (r) => {
    if (!r) return;
    await r.stop();
    if (r.betweenMutants) exitsBetweenMutants.push(r.betweenMutants);
  };
  const start = async () => {
    const r = startRunner(outFd, errFd);
    children++;
    const hello = await r.ready;
    if (hello.fatal) throw new Error(`mindir runner: ${hello.fatal}`);
    return r;
  };
  try {
    for (let i = 0; i < opts.count; i++) {
      const m = makeMindirMutant(opts.seed, i, models);
      if (runner && !runner.alive) {
        await retire(runner);
        runner = null;
      }
      if (!runner) runner = await start();
      const errFrom = fstatSync(errFd).size;
      const outFrom = fstatSync(outFd).size;
      const res = await runner.run(i, m.bytes, opts.timeout);
      const err = readSince(errFd, errFrom);
      const out = readSince(outFd, outFrom);
      if (err.bytes > 0) {
        stderrMutants++;
        for (const line of new Set(err.text.split('\n').map((l) => l.replace(/^\[[^\]]*\]\s*/, '').replace(/\d+/g, 'N').trim().slice(0, 160)).filter(Boolean))) {
          stderrLines[line] = (stderrLines[line] ?? 0) + 1;
        }
      }
      if (out.bytes > 0) stdoutMutants++;
      counts[res.result] = (counts[res.result] ?? 0) + 1;
      if (res.result === 'error') {
        errorCodes[res.code] = (errorCodes[res.code] ?? 0) + 1;
        errorPhases[res.phase] = (errorPhases[res.phase] ?? 0) + 1;
      }
      if (res.result === 'ok') {
        if (res.predict === 'skipped') predictSkipped++;
        else predictRan++;
      }
      if (res.rss > maxRss) maxRss = res.rss;
      const outcome = res.result === 'error' ? res.code : res.result;
      for (const kind of new Set(m.kinds)) {
        byKind[kind] ??= {};
        byKind[kind][outcome] = (byKind[kind][outcome] ?? 0) + 1;
      }
      const record = { index: i, model: m.model, kinds: m.kinds, details: m.details, size: m.bytes.length, ...res, stderr: err.text.slice(-1500) };
      onResult(record);
      if (res.result === 'crash' || res.result === 'hang') {
        crashes.push(record);
        if (opts.keep) {
          mkdirSync(opts.keep, { recursive: true });
          writeFileSync(join(opts.keep, `mindir-${opts.seed}-${i}-${m.model}.mindir`), m.bytes);
        }
        runner = null;
      }
    }
    await retire(runner);
    runner = null;
    // In-process, a mutant may corrupt the heap and a later one crash: run each crash again alone.
    for (const c of crashes) {
      const m = makeMindirMutant(opts.seed, c.index, models);
      const alone = await start();
      const errFrom = fstatSync(errFd).size;
      const again = await alone.run(c.index, m.bytes, opts.timeout);
      await alone.stop();
      c.alone = { result: again.result, phase: again.phase, code: again.code, signal: again.signal, exitCode: again.exitCode, stderr: readSince(errFd, errFrom).text.slice(-1500) };
      c.reproducible = again.result === c.result;
    }
  } finally {
    if (runner) await runner.stop();
    closeSync(outFd);
    closeSync(errFd);
    rmSync(dir, { recursive: true, force: true });
  }
  const topStderr = Object.entries(stderrLines)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 8)
    .map(([line, n]) => ({ line, mutants: n }));
  return {
    seed: opts.seed,
    count: opts.count,
    models: opts.models,
    counts,
    errorCodes,
    errorPhases,
    predict: { ran: predictRan, skipped: predictSkipped },
    byKind,
    crashes,
    exitsBetweenMutants,
    stderrMutants,
    stdoutMutants,
    topStderr,
    children,
    maxRssMB: Math.round(maxRss / 2 ** 20),
    seconds: (Date.now() - started) / 1000,
  };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  let opts;
  try {
    opts = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`mindir.mjs: ${e.message}\n`);
    process.exit(2);
  }
  const line = (rec) => `#${rec.index} ${rec.model} [${rec.kinds.join('+')}] ${rec.result}${rec.code ? ` ${rec.code}` : ''}${rec.signal ? ` ${rec.signal}` : ''}: ${rec.details.join(' ; ')}`;
  const summary = await fuzzMindir(opts, (rec) => {
    if (opts.verbose && !opts.json) process.stdout.write(`${line(rec)}\n`);
  });
  if (opts.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const c = summary.counts;
    process.stdout.write(`mindir fuzz: seed ${summary.seed}, ${summary.count} mutants of ${summary.models.join(', ')} in ${summary.seconds.toFixed(1)} s (${summary.children} runner process(es), max RSS ${summary.maxRssMB} MB)\n`);
    process.stdout.write(`  success ${c.ok} (predict ran ${summary.predict.ran}, skipped ${summary.predict.skipped}), clean LiteError ${c.error} ${JSON.stringify(summary.errorCodes)} by phase ${JSON.stringify(summary.errorPhases)}, crash ${c.crash}, hang ${c.hang}\n`);
    process.stdout.write(`  mutants with engine output on stderr: ${summary.stderrMutants}, on stdout: ${summary.stdoutMutants}\n`);
    for (const s of summary.topStderr) process.stdout.write(`    ${s.mutants}x ${s.line}\n`);
    process.stdout.write('  by kind:\n');
    for (const [k, v] of Object.entries(summary.byKind).sort()) process.stdout.write(`    ${k.padEnd(10)} ${JSON.stringify(v)}\n`);
    for (const x of summary.exitsBetweenMutants) process.stdout.write(`  runner died outside a mutant (${x.when}) after #${x.afterIndex}: signal=${x.signal ?? '-'} exit=${x.exitCode ?? '-'}\n`);
    for (const k of summary.crashes) {
      process.stdout.write(`  ${line(k)}\n    in ${k.phase}, signal=${k.signal ?? '-'} exit=${k.exitCode ?? '-'} size=${k.size} B; alone: ${k.alone?.result ?? '-'} in ${k.alone?.phase ?? '-'} ${k.alone?.signal ?? k.alone?.code ?? ''} (reproducible: ${k.reproducible})\n`);
      const tail = String(k.stderr || k.alone?.stderr || '').split('\n').filter(Boolean).slice(-3).join(' | ');
      if (tail) process.stdout.write(`    ${tail}\n`);
    }
  }
  process.exit(summary.counts.crash + summary.counts.hang + summary.exitsBetweenMutants.length > 0 ? 1 : 0);
}
