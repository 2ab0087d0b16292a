#!/usr/bin/env node
// Removes sections that nothing reads on the CPU (by default the CUDA device code of MegEngine's
// libmegengine_shared.so: `.nv_fatbin` + `__nv_relfatbin`, 1.22 GB of its 1.57 GB) from an ELF64
// shared library, so that the file shrinks instead of only becoming zeros.
//
//   node tools/release/slim-elf.mjs <in.so> <out.so> [--section NAME ...]
//
// How (the loader still maps the same addresses; only the bytes of the dropped range go away):
// - The dropped sections must be adjacent, read-only, inside one PT_LOAD. Their address range,
//   rounded inwards to whole pages, is the cut. That PT_LOAD is split into three: file-backed
//   before the cut, the cut itself with p_filesz 0 (the loader maps zero pages there, read-only),
//   and file-backed after it.
// - The cut's bytes are left out of the file. The cut is a whole number of pages, so every later
//   p_offset/sh_offset (and e_shoff) moves down by it and stays congruent to its address.
// - The dropped sections become SHT_NOBITS; the bytes of their partial pages at either edge of
//   the cut are zeroed, so the loaded image equals a copy with those sections zeroed in place.
// - The two extra program headers go right after the existing table: that space must be unused
//   (no section there; all zeros or patchelf's 'X' filler) and inside the first PT_LOAD.
// Refused (with the reason) when any of that does not hold, or when a dynamic symbol is defined
// inside the cut (another library could then read those bytes). Nothing is stripped: `strip`
// after this rewrite breaks the zero-filled segment.
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

  // Dynamic symbols defined inside the cut would let other objects read the dropped bytes.
  const dynsym = shdrs.find((s) => s.type === SHT_DYNSYM);
  let symbolsInside = 0;
  if (dynsym) {
    const table = readAt(fd, dynsym.offset, dynsym.size);
    for (let o = 0; o + 24 <= table.length; o += 24) {
      const shndx = table.readUInt16LE(o + 6);
      const value = Number(table.readBigUInt64LE(o + 8));
      if (shndx !== 0 && value >= start && value < end) symbolsInside++;
    }
  }
  if (symbolsInside) throw planError(`${symbolsInside} dynamic symbol(s) are defined inside the sections`);
  // Relocations that point into the range (pointer values only; nothing is written there).
  let relocsInto = 0;
  for (const rela of shdrs.filter((s) => s.type === SHT_RELA && s.flags & SHF_ALLOC)) {
    const table = readAt(fd, rela.offset, rela.size);
    for (let o = 0; o + 24 <= table.length; o += 24) {
      const info = table.readBigUInt64LE(o + 8);
      const target = Number(table.readBigUInt64LE(o));
      if (target >= start && target < end) throw planError('a relocation writes inside the sections');
      const addend = Number(table.readBigInt64LE(o + 16));
      if (Number(info & 0xffffffffn) === R_X86_64_RELATIVE && addend >= start && addend < end) relocsInto++;
    }
  }

  // Room for two more program headers right after the table.
  const added = 2;
  const tableEnd = ehdr.phoff + ehdr.phnum * PHDR_SIZE;
  const newTableEnd = tableEnd + added * PHDR_SIZE;
  const firstLoad = phdrs.find((p) => p.type === PT_LOAD);
  if (!(firstLoad.offset <= ehdr.phoff && newTableEnd <= firstLoad.offset + firstLoad.filesz)) {
    throw planError('the grown program header table would leave the first PT_LOAD');
  }
  for (const s of shdrs) {
    if (s.type !== SHT_NOBITS && s.size > 0 && s.type !== 0 && s.offset < newTableEnd && tableEnd < s.offset + s.size) {
      throw planError(`no room for the extra program headers: section ${s.name} follows the table`);
    }
  }
  if (ehdr.shoff < newTableEnd && tableEnd < ehdr.shoff + ehdr.shnum * SHDR_SIZE) throw planError('no room for the extra program headers');
  // Unused space is all zeros, or all 'X' (0x58), the byte patchelf pads the space it frees with.
  const room = readAt(fd, tableEnd, added * PHDR_SIZE);
  if (!room.every((b) => b === room[0]) || (room[0] !== 0 && room[0] !== 0x58)) {
    throw planError('the bytes after the program header table are in use');
  }

  const shift = (offset) => (offset >= fileCutEnd ? offset - cut : offset);
  const newPhdrs = [];
  phdrs.forEach((p, i) => {
    if (i !== loadIndex) {
      const q = { ...p, offset: p.filesz > 0 || p.type === PT_LOAD ? shift(p.offset) : p.offset };
      if (p.type === PT_PHDR) {
        q.filesz = (ehdr.phnum + added) * PHDR_SIZE;
        q.memsz = q.filesz;
      }
      newPhdrs.push(q);
      return;
    }
    const head = cutStart - seg.vaddr;
    newPhdrs.push({ ...p, filesz: head, memsz: head });
    newPhdrs.push({ ...p, flags: PF_R, offset: fileCutStart, vaddr: cutStart, paddr: seg.paddr + head, filesz: 0, memsz: cut });
    newPhdrs.push({
      ...p,
      offset: fileCutStart,
      vaddr: cutEnd,
      paddr: seg.paddr + head + cut,
      filesz: seg.filesz - head - cut,
      memsz: seg.memsz - head - cut,
    });
  });
  const newShdrs = shdrs.map((s) => {
    if (drop.includes(s)) {
      // The file position a NOBITS section would have: where its address maps to after the cut.
      const rel = s.addr - seg.vaddr;
      const offset = rel < cutStart - seg.vaddr ? seg.offset + rel : rel >= cutEnd - seg.vaddr ? seg.offset + rel - cut : fileCutStart;
      return { ...s, type: SHT_NOBITS, offset };
    }
    return { ...s, offset: s.type === 0 ? s.offset : shift(s.offset) };
  });
  // Bytes of the dropped sections that stay in the file (partial pages at the cut's edges).
  const zeroRanges = [
    { offset: seg.offset + (start - seg.vaddr), length: fileCutStart - (seg.offset + (start - seg.vaddr)) },
    { offset: fileCutStart, length: end - cutEnd },
  ].filter((r) => r.length > 0);

  return {
    elf,
    inputSize: size,
    outputSize: size - cut,
    cut: { fileStart: fileCutStart, fileEnd: fileCutEnd, vaddrStart: cutStart, vaddrEnd: cutEnd, bytes: cut },
    dropped: drop.map((s) => ({ name: s.name, size: s.size })),
    relocsInto,
    newPhdrs,
    newShdrs,
    newShoff: shift(ehdr.shoff),
    zeroRanges,
  };
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
    const { elf, cut } = plan;
    outFd = openSync(partial, 'w');
    copyRange(inFd, outFd, 0, cut.fileStart, 0);
    copyRange(inFd, outFd, cut.fileEnd, elf.size, cut.fileStart);
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
      `[slim-elf] ${r.inputSize} -> ${r.outputSize} bytes: cut ${r.cut.bytes} bytes (${r.dropped.map((d) => d.name).join(', ')}; ` +
        `${r.relocsInto} relative relocations point into them) in ${((Date.now() - started) / 1000).toFixed(1)} s`,
    );
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(1);
  }
}
