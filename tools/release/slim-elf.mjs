#!/usr/bin/env node
// Removes sections that nothing reads on the CPU (by default the CUDA device code of MegEngine's
// libmegengine_shared.so: `.nv_fatbin` + `__nv_relfatbin`, 1.22 GB of its 1.57 GB) from an ELF64
// shared library, so that the file shrinks instead of only becoming zeros.
//
//   node tools/release/slim-elf.mjs <in.so> <out.so> [--section NAME ...]
//
// How (the loader still maps the same addresses; only bytes nothing reads go away):
// - The dropped sections must be adjacent, read-only, inside one PT_LOAD. Their address range,
//   rounded inwards to whole pages, is cut. So are the whole pages of unused filler that
//   patchelf left after the program header table (27 MB of 'X' bytes in this library), when
//   nothing (section, segment, symbol, relocation) refers to them.
// - A PT_LOAD with k cuts becomes 2k+1 program headers: file-backed pieces around zero-filled,
//   read-only pieces with p_filesz 0 (the loader maps zero pages there).
// - The cut bytes are left out of the file. Cuts are whole pages, so every later
//   p_offset/sh_offset (and e_shoff) moves down and stays congruent to its address.
// - The dropped sections become SHT_NOBITS; the bytes of their partial pages at either edge of
//   their cut are zeroed, so the loaded image equals a copy with those sections zeroed in place
//   (the cut filler reads as zeros instead of 'X').
// - The extra program headers go right after the existing table: that space must be filler
//   (no section there; all zeros or patchelf's 'X') and inside the first PT_LOAD.
// Refused (with the reason) when any of that does not hold, or when a dynamic symbol is defined
// inside a cut (another library could then read those bytes). Nothing is stripped: `strip`
// after this rewrite breaks the zero-filled segments.
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  EHDR_SIZE,
  PF_R,
  PF_W,
  PHDR_SIZE,
  PT_LOAD,
  PT_PHDR,
  SHDR_SIZE,
  SHF_ALLOC,
  SHF_WRITE,
  SHT_DYNSYM,
  SHT_NOBITS,
  SHT_RELA,
  checkElf,
  encodePhdr,
  patchShdr,
  readAt,
  readElf,
  writeEhdrOffsets,
} from './elf64.mjs';

export const CUDA_SECTIONS = ['.nv_fatbin', '__nv_relfatbin'];
const R_X86_64_RELATIVE = 8;
const STT_TLS = 6;
const CHUNK = 16 << 20;

function planError(message) {
  return new Error(`slim-elf: ${message}`);
}

/** Works out the cut, the new program headers and the patched section headers (no writing). */
export function planSlim(fd, sectionNames = CUDA_SECTIONS) {
  const elf = readElf(fd);
  const { ehdr, phdrs, shdrs, size } = elf;
  const before = checkElf(elf);
  if (before.length) throw planError(`the input's headers are inconsistent: ${before.join('; ')}`);
  const drop = sectionNames.map((n) => shdrs.find((s) => s.name === n) ?? null);
  const missing = sectionNames.filter((_, i) => !drop[i]);
  if (missing.length) throw planError(`no section ${missing.join(', ')} in the input`);
  if (drop.some((s) => s.type === SHT_NOBITS)) throw planError('the sections are already SHT_NOBITS (input slimmed before?)');
  drop.sort((a, b) => a.addr - b.addr);
  for (const s of drop) {
    if (!(s.flags & SHF_ALLOC) || s.flags & SHF_WRITE) throw planError(`${s.name} is not a read-only allocated section`);
  }
  for (let i = 1; i < drop.length; i++) {
    const gap = drop[i].addr - (drop[i - 1].addr + drop[i - 1].size);
    // Only alignment padding may sit between two dropped sections.
    if (gap < 0 || gap >= Math.max(drop[i].addralign, 1)) throw planError(`${drop[i - 1].name} and ${drop[i].name} are not adjacent`);
  }
  const start = drop[0].addr;
  const end = drop.at(-1).addr + drop.at(-1).size;

  const loadIndex = phdrs.findIndex((p) => p.type === PT_LOAD && p.vaddr <= start && end <= p.vaddr + p.filesz);
  if (loadIndex < 0) throw planError('the sections are not inside the file-backed part of one PT_LOAD');
  const seg = phdrs[loadIndex];
  if (seg.flags & PF_W) throw planError('the segment holding the sections is writable');
  const page = Math.max(...phdrs.filter((p) => p.type === PT_LOAD).map((p) => p.align), 0x1000);
  const cutStart = Math.ceil(start / page) * page;
  const cutEnd = Math.floor(end / page) * page;
  if (cutEnd <= cutStart) throw planError('the sections span less than one whole page; nothing to cut');
  const cut = cutEnd - cutStart;
  const fileCutStart = seg.offset + (cutStart - seg.vaddr);
  const fileCutEnd = fileCutStart + cut;

  for (const s of shdrs) {
    if (drop.includes(s) || s.type === SHT_NOBITS || s.size === 0 || s.type === 0) continue;
    if (s.offset < fileCutEnd && fileCutStart < s.offset + s.size) throw planError(`section ${s.name} overlaps the cut`);
  }
  phdrs.forEach((p, i) => {
    if (i === loadIndex || p.filesz === 0) return;
    if (p.offset < fileCutEnd && fileCutStart < p.offset + p.filesz) throw planError(`segment ${i} overlaps the cut`);
  });

  // The patchelf filler after the program header table: whole pages of it are cut as well.
  const firstLoad = phdrs.find((p) => p.type === PT_LOAD);
  const tableEnd = ehdr.phoff + ehdr.phnum * PHDR_SIZE;
  const filler = fillerCut(fd, elf, firstLoad, tableEnd, page);
  const cuts = [
    ...(filler ? [{ seg: firstLoad, vStart: filler.vStart, vEnd: filler.vEnd, what: 'filler' }] : []),
    { seg, vStart: cutStart, vEnd: cutEnd, what: 'sections' },
  ].map((c) => ({ ...c, fStart: c.seg.offset + (c.vStart - c.seg.vaddr), fEnd: c.seg.offset + (c.vEnd - c.seg.vaddr), bytes: c.vEnd - c.vStart }));
  const inAnyCut = (v) => cuts.some((c) => v >= c.vStart && v < c.vEnd);
  const inDropped = (v) => v >= start && v < end;

  // Dynamic symbols defined inside a cut would let other objects read the dropped bytes.
  const dynsym = shdrs.find((s) => s.type === SHT_DYNSYM);
  let symbolsInside = 0;
  if (dynsym) {
    const table = readAt(fd, dynsym.offset, dynsym.size);
    for (let o = 0; o + 24 <= table.length; o += 24) {
      const shndx = table.readUInt16LE(o + 6);
      const value = Number(table.readBigUInt64LE(o + 8));
      const tls = (table[o + 4] & 0xf) === STT_TLS; // a TLS symbol's value is an offset, not an address
      if (shndx !== 0 && !tls && (inDropped(value) || inAnyCut(value))) symbolsInside++;
    }
  }
  if (symbolsInside) throw planError(`${symbolsInside} dynamic symbol(s) are defined inside the cut ranges`);
  // Relocations: none may write into a cut; pointers into the dropped sections are counted
  // (their target memory still exists, zero-filled); none may point into the filler.
  let relocsInto = 0;
  for (const rela of shdrs.filter((s) => s.type === SHT_RELA && s.flags & SHF_ALLOC)) {
    const table = readAt(fd, rela.offset, rela.size);
    for (let o = 0; o + 24 <= table.length; o += 24) {
      const target = Number(table.readBigUInt64LE(o));
      if (inDropped(target) || inAnyCut(target)) throw planError('a relocation writes inside a cut range');
      if (Number(table.readBigUInt64LE(o + 8) & 0xffffffffn) !== R_X86_64_RELATIVE) continue;
      const addend = Number(table.readBigInt64LE(o + 16));
      if (inDropped(addend)) relocsInto++;
      else if (inAnyCut(addend)) throw planError('a relocation points into the filler');
    }
  }

  // Room for the extra program headers (two per cut) right after the table.
  const added = 2 * cuts.length;
  const newTableEnd = tableEnd + added * PHDR_SIZE;
  if (!(firstLoad.offset <= ehdr.phoff && newTableEnd <= firstLoad.offset + firstLoad.filesz)) {
    throw planError('the grown program header table would leave the first PT_LOAD');
  }
  if (filler && newTableEnd > filler.fStart) throw planError('the grown program header table would reach into the cut filler');
  for (const s of shdrs) {
    if (s.type !== SHT_NOBITS && s.size > 0 && s.type !== 0 && s.offset < newTableEnd && tableEnd < s.offset + s.size) {
      throw planError(`no room for the extra program headers: section ${s.name} follows the table`);
    }
  }
  if (ehdr.shoff < newTableEnd && tableEnd < ehdr.shoff + ehdr.shnum * SHDR_SIZE) throw planError('no room for the extra program headers');
  if (!isFiller(readAt(fd, tableEnd, added * PHDR_SIZE))) throw planError('the bytes after the program header table are in use');

  // File offsets move down by the cuts before them (whole pages: congruence is kept).
  const shift = (offset) => offset - cuts.filter((c) => c.fEnd <= offset).reduce((n, c) => n + c.bytes, 0);
  const newPhdrs = [];
  for (const p of phdrs) {
    const own = cuts.filter((c) => c.seg === p).sort((a, b) => a.vStart - b.vStart);
    if (!own.length) {
      const q = { ...p, offset: p.filesz > 0 || p.type === PT_LOAD ? shift(p.offset) : p.offset };
      if (p.type === PT_PHDR) {
        q.filesz = (ehdr.phnum + added) * PHDR_SIZE;
        q.memsz = q.filesz;
      }
      newPhdrs.push(q);
      continue;
    }
    // A PT_LOAD with k cuts becomes 2k+1: file-backed, zero-filled (read-only), file-backed, ...
    let at = p.vaddr;
    for (const c of own) {
      newPhdrs.push({ ...p, offset: shift(p.offset + (at - p.vaddr)), vaddr: at, paddr: p.paddr + (at - p.vaddr), filesz: c.vStart - at, memsz: c.vStart - at });
      newPhdrs.push({ ...p, flags: PF_R, offset: shift(c.fStart), vaddr: c.vStart, paddr: p.paddr + (c.vStart - p.vaddr), filesz: 0, memsz: c.bytes });
      at = c.vEnd;
    }
    const endFile = p.vaddr + p.filesz;
    newPhdrs.push({
      ...p,
      offset: shift(p.offset + (at - p.vaddr)),
      vaddr: at,
      paddr: p.paddr + (at - p.vaddr),
      filesz: endFile - at,
      memsz: p.vaddr + p.memsz - at,
    });
  }
  const newShdrs = shdrs.map((s) => {
    if (s.type === 0) return { ...s };
    if (drop.includes(s)) {
      // The file position a NOBITS section would have: where its address maps to after the cuts.
      const inside = cuts.find((c) => s.addr >= c.vStart && s.addr < c.vEnd);
      return { ...s, type: SHT_NOBITS, offset: inside ? shift(inside.fStart) : shift(seg.offset + (s.addr - seg.vaddr)) };
    }
    return { ...s, offset: shift(s.offset) };
  });
  // Bytes of the dropped sections that stay in the file (partial pages at the cut's edges).
  const sectionsCut = cuts.at(-1);
  const headStart = seg.offset + (start - seg.vaddr);
  const zeroRanges = [
    { offset: shift(headStart), length: sectionsCut.fStart - headStart },
    { offset: shift(sectionsCut.fEnd), length: end - cutEnd },
  ].filter((r) => r.length > 0);
  const cutBytes = cuts.reduce((n, c) => n + c.bytes, 0);

  return {
    elf,
    inputSize: size,
    outputSize: size - cutBytes,
    cuts: cuts.map((c) => ({ what: c.what, fileStart: c.fStart, fileEnd: c.fEnd, vaddrStart: c.vStart, vaddrEnd: c.vEnd, bytes: c.bytes })),
    dropped: drop.map((s) => ({ name: s.name, size: s.size })),
    relocsInto,
    newPhdrs,
    newShdrs,
    newShoff: shift(ehdr.shoff),
    zeroRanges,
  };
}

/** Unused space: all zeros, or all 'X' (0x58), the byte patchelf fills the space it frees with. */
function isFiller(buf) {
  return buf.length > 0 && (buf[0] === 0 || buf[0] === 0x58) && buf.every((b) => b === buf[0]);
}

/**
 * The whole pages of unused filler between the program header table and the next thing in the
 * first PT_LOAD (a section, a segment or the section header table), or null when there are
 * none. Every byte of those pages must be the same filler byte.
 */
function fillerCut(fd, { ehdr, phdrs, shdrs }, firstLoad, tableEnd, page) {
  const starts = [
    ...shdrs.filter((s) => s.type !== SHT_NOBITS && s.type !== 0 && s.size > 0).map((s) => s.offset),
    ...phdrs.filter((p) => p.type !== PT_LOAD && p.type !== PT_PHDR && p.filesz > 0).map((p) => p.offset),
    ehdr.shoff,
    firstLoad.offset + firstLoad.filesz,
  ].filter((o) => o >= tableEnd);
  const gapEnd = Math.min(...starts);
  const fStart = Math.ceil(tableEnd / page) * page;
  const fEnd = Math.floor(gapEnd / page) * page;
  if (fEnd <= fStart) return null;
  let fill = null;
  for (let pos = fStart; pos < fEnd; pos += CHUNK) {
    const chunk = readAt(fd, pos, Math.min(CHUNK, fEnd - pos));
    if (!isFiller(chunk) || (fill !== null && chunk[0] !== fill)) return null;
    fill = chunk[0];
  }
  const delta = firstLoad.vaddr - firstLoad.offset;
  return { fStart, fEnd, vStart: fStart + delta, vEnd: fEnd + delta };
}

function copyRange(inFd, outFd, from, to, outAt) {
  for (let pos = from; pos < to; pos += CHUNK) writeAll(outFd, readAt(inFd, pos, Math.min(CHUNK, to - pos)), outAt + (pos - from));
}

function writeAll(fd, buf, position) {
  let done = 0;
  while (done < buf.length) done += writeSync(fd, buf, done, buf.length - done, position + done);
}

/**
 * Writes the slimmed copy of `input` to `output` (through `<output>.partial-<pid>`, renamed when
 * complete). Returns the plan's summary: sizes, the cut, the dropped sections.
 */
export function slimElf(input, output, sectionNames = CUDA_SECTIONS) {
  const inFd = openSync(input, 'r');
  const partial = `${output}.partial-${process.pid}`;
  let outFd;
  try {
    const plan = planSlim(inFd, sectionNames);
    const { elf } = plan;
    outFd = openSync(partial, 'w');
    let from = 0;
    let to = 0;
    for (const c of [...plan.cuts, { fileStart: elf.size, fileEnd: elf.size }]) {
      copyRange(inFd, outFd, from, c.fileStart, to);
      to += c.fileStart - from;
      from = c.fileEnd;
    }
    for (const r of plan.zeroRanges) writeAll(outFd, Buffer.alloc(r.length), r.offset);
    const ehdr = readAt(inFd, 0, EHDR_SIZE);
    writeEhdrOffsets(ehdr, { phoff: elf.ehdr.phoff, shoff: plan.newShoff, phnum: plan.newPhdrs.length });
    writeAll(outFd, ehdr, 0);
    writeAll(outFd, Buffer.concat(plan.newPhdrs.map(encodePhdr)), elf.ehdr.phoff);
    const shtab = Buffer.from(elf.shtab);
    plan.newShdrs.forEach((s, i) => patchShdr(shtab, i * SHDR_SIZE, s));
    writeAll(outFd, shtab, plan.newShoff);
    closeSync(outFd);
    outFd = undefined;
    const check = openSync(partial, 'r');
    try {
      const problems = checkElf(readElf(check));
      if (problems.length) throw planError(`the rewritten headers are inconsistent: ${problems.join('; ')}`);
    } finally {
      closeSync(check);
    }
    renameSync(partial, output);
    const { elf: _elf, newPhdrs: _p, newShdrs: _s, ...summary } = plan;
    return summary;
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  } finally {
    if (outFd !== undefined) closeSync(outFd);
    closeSync(inFd);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { section: { type: 'string', multiple: true } } });
  if (positionals.length !== 2) {
    console.error('usage: node tools/release/slim-elf.mjs <in.so> <out.so> [--section NAME ...]');
    process.exit(2);
  }
  try {
    const started = Date.now();
    const r = slimElf(positionals[0], positionals[1], values.section ?? CUDA_SECTIONS);
    console.log(
      `[slim-elf] ${r.inputSize} -> ${r.outputSize} bytes: cut ${r.cuts.map((c) => `${c.bytes} bytes of ${c.what}`).join(' and ')} ` +
        `(${r.dropped.map((d) => d.name).join(', ')}; ${r.relocsInto} relative relocations point into them) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
