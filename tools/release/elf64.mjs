// Reads the headers of a little-endian ELF64 file (the Linux x86_64 runtime libraries): the file
// header, program headers and section headers (with names), plus what the release tools and
// their tests need on top: where a virtual address lives in the file, and a structural check of
// the headers. Plain Node, no dependency. Field offsets: the System V gABI, ELF-64 object format.
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const SHT_NOBITS = 8;
export const SHT_RELA = 4;
export const SHT_DYNSYM = 11;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const PF_X = 0x1;
export const PF_W = 0x2;
export const PF_R = 0x4;
export const EHDR_SIZE = 64;
export const PHDR_SIZE = 56;
export const SHDR_SIZE = 64;

/** Reads exactly `length` bytes at `position` (throws on a short file). */
export function readAt(fd, position, length) {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) throw new Error(`unexpected end of file at ${position + done} (wanted ${length} bytes at ${position})`);
    done += n;
  }
  return buf;
}

export function parseEhdr(buf) {
  if (buf.readUInt32BE(0) !== 0x7f454c46) throw new Error('not an ELF file');
  if (buf[4] !== 2 || buf[5] !== 1) throw new Error('not a little-endian ELF64 file');
  return {
    type: buf.readUInt16LE(0x10),
    machine: buf.readUInt16LE(0x12),
    phoff: Number(buf.readBigUInt64LE(0x20)),
    shoff: Number(buf.readBigUInt64LE(0x28)),
    ehsize: buf.readUInt16LE(0x34),
    phentsize: buf.readUInt16LE(0x36),
    phnum: buf.readUInt16LE(0x38),
    shentsize: buf.readUInt16LE(0x3a),
    shnum: buf.readUInt16LE(0x3c),
    shstrndx: buf.readUInt16LE(0x3e),
  };
}

export function writeEhdrOffsets(buf, { phoff, shoff, phnum }) {
  buf.writeBigUInt64LE(BigInt(phoff), 0x20);
  buf.writeBigUInt64LE(BigInt(shoff), 0x28);
  buf.writeUInt16LE(phnum, 0x38);
}

export function parsePhdr(buf, o = 0) {
  return {
    type: buf.readUInt32LE(o),
    flags: buf.readUInt32LE(o + 4),
    offset: Number(buf.readBigUInt64LE(o + 8)),
    vaddr: Number(buf.readBigUInt64LE(o + 16)),
    paddr: Number(buf.readBigUInt64LE(o + 24)),
    filesz: Number(buf.readBigUInt64LE(o + 32)),
    memsz: Number(buf.readBigUInt64LE(o + 40)),
    align: Number(buf.readBigUInt64LE(o + 48)),
  };
}

export function encodePhdr(p) {
  const buf = Buffer.alloc(PHDR_SIZE);
  buf.writeUInt32LE(p.type, 0);
  buf.writeUInt32LE(p.flags, 4);
  buf.writeBigUInt64LE(BigInt(p.offset), 8);
  buf.writeBigUInt64LE(BigInt(p.vaddr), 16);
  buf.writeBigUInt64LE(BigInt(p.paddr), 24);
  buf.writeBigUInt64LE(BigInt(p.filesz), 32);
  buf.writeBigUInt64LE(BigInt(p.memsz), 40);
  buf.writeBigUInt64LE(BigInt(p.align), 48);
  return buf;
}

export function parseShdr(buf, o = 0) {
  return {
    nameOff: buf.readUInt32LE(o),
    type: buf.readUInt32LE(o + 4),
    flags: Number(buf.readBigUInt64LE(o + 8)),
    addr: Number(buf.readBigUInt64LE(o + 16)),
    offset: Number(buf.readBigUInt64LE(o + 24)),
    size: Number(buf.readBigUInt64LE(o + 32)),
    link: buf.readUInt32LE(o + 40),
    info: buf.readUInt32LE(o + 44),
    addralign: Number(buf.readBigUInt64LE(o + 48)),
    entsize: Number(buf.readBigUInt64LE(o + 56)),
  };
}

/** Rewrites type, offset and size of a section header in place (the fields the tools change). */
export function patchShdr(buf, o, { type, offset, size }) {
  buf.writeUInt32LE(type, o + 4);
  buf.writeBigUInt64LE(BigInt(offset), o + 24);
  buf.writeBigUInt64LE(BigInt(size), o + 32);
}

/**
 * The headers of the ELF64 file open as `fd`: { size, ehdr, phdrs, shdrs (with .name) }.
 * Throws a plain Error naming the problem when the file is not a sane little-endian ELF64.
 */
export function readElf(fd) {
  const size = fstatSync(fd).size;
  if (size < EHDR_SIZE) throw new Error('file too small for an ELF header');
  const ehdr = parseEhdr(readAt(fd, 0, EHDR_SIZE));
  if (ehdr.phentsize !== PHDR_SIZE || ehdr.shentsize !== SHDR_SIZE) throw new Error('unexpected ELF64 header entry sizes');
  if (ehdr.phoff + ehdr.phnum * PHDR_SIZE > size) throw new Error('program header table extends beyond the end of the file');
  if (ehdr.shoff + ehdr.shnum * SHDR_SIZE > size) throw new Error('section header table extends beyond the end of the file');
  const phtab = readAt(fd, ehdr.phoff, ehdr.phnum * PHDR_SIZE);
  const phdrs = [];
  for (let i = 0; i < ehdr.phnum; i++) phdrs.push(parsePhdr(phtab, i * PHDR_SIZE));
  const shtab = readAt(fd, ehdr.shoff, ehdr.shnum * SHDR_SIZE);
  const shdrs = [];
  for (let i = 0; i < ehdr.shnum; i++) shdrs.push({ index: i, ...parseShdr(shtab, i * SHDR_SIZE) });
  const strtab = shdrs[ehdr.shstrndx];
  if (!strtab || strtab.offset + strtab.size > size) throw new Error('bad section name table');
  const names = readAt(fd, strtab.offset, strtab.size);
  for (const s of shdrs) {
    const end = names.indexOf(0, s.nameOff);
    s.name = names.toString('latin1', s.nameOff, end < 0 ? names.length : end);
  }
  return { size, ehdr, phdrs, shdrs, phtab, shtab };
}

/** readElf on a path. */
export function readElfFile(path) {
  const fd = openSync(path, 'r');
  try {
    return readElf(fd);
  } finally {
    closeSync(fd);
  }
}

/** A loadable segment's file range: [offset, offset + filesz). */
const fileEnd = (p) => p.offset + p.filesz;
const sectionHasFileBytes = (s) => s.type !== SHT_NOBITS && s.type !== 0 && s.size > 0;

/**
 * Structural checks of the headers (what a loader and readelf rely on). Returns a list of
 * problems, empty when the headers are consistent:
 * - every segment and every section with file bytes lies inside the file;
 * - PT_LOAD entries are in ascending p_vaddr order, do not overlap in memory, have
 *   p_filesz <= p_memsz and p_offset congruent to p_vaddr modulo p_align;
 * - PT_PHDR lies inside a PT_LOAD's file range and covers the program header table exactly;
 * - every allocated section lies inside one PT_LOAD in memory and, with file bytes, at the file
 *   offset that segment maps its address from (or, for SHT_NOBITS, in no file range at all);
 * - sections with file bytes do not overlap each other or the header tables.
 */
export function checkElf({ size, ehdr, phdrs, shdrs }) {
  const problems = [];
  const loads = phdrs.filter((p) => p.type === PT_LOAD);
  phdrs.forEach((p, i) => {
    if (p.filesz > 0 && fileEnd(p) > size) problems.push(`segment ${i} extends beyond the end of the file`);
    if (p.filesz > p.memsz) problems.push(`segment ${i} has p_filesz > p_memsz`);
  });
  loads.forEach((p, i) => {
    if (p.align > 1 && (p.offset - p.vaddr) % p.align !== 0) problems.push(`PT_LOAD ${i}: p_offset and p_vaddr differ modulo p_align`);
    const next = loads[i + 1];
    if (next && next.vaddr < p.vaddr + p.memsz) problems.push(`PT_LOAD ${i} and ${i + 1} are unordered or overlap in memory`);
  });
  const phdr = phdrs.find((p) => p.type === PT_PHDR);
  if (phdr) {
    if (phdr.offset !== ehdr.phoff || phdr.filesz !== ehdr.phnum * PHDR_SIZE || phdr.memsz !== phdr.filesz) {
      problems.push('PT_PHDR does not describe the program header table');
    }
    if (!loads.some((l) => l.offset <= phdr.offset && fileEnd(phdr) <= fileEnd(l) && phdr.vaddr - l.vaddr === phdr.offset - l.offset)) {
      problems.push('PT_PHDR is not covered by a PT_LOAD');
    }
  }
  const tables = [
    { name: 'ELF header', start: 0, end: EHDR_SIZE },
    { name: 'program header table', start: ehdr.phoff, end: ehdr.phoff + ehdr.phnum * PHDR_SIZE },
    { name: 'section header table', start: ehdr.shoff, end: ehdr.shoff + ehdr.shnum * SHDR_SIZE },
  ];
  const withBytes = shdrs.filter(sectionHasFileBytes).sort((a, b) => a.offset - b.offset);
  for (const s of withBytes) {
    if (s.offset + s.size > size) problems.push(`section ${s.name} extends beyond the end of the file`);
    for (const t of tables) {
      if (s.offset < t.end && t.start < s.offset + s.size) problems.push(`section ${s.name} overlaps the ${t.name}`);
    }
  }
  for (let i = 1; i < withBytes.length; i++) {
    const a = withBytes[i - 1];
    const b = withBytes[i];
    if (b.offset < a.offset + a.size) problems.push(`sections ${a.name} and ${b.name} overlap in the file`);
  }
  for (const s of shdrs) {
    if (!(s.flags & SHF_ALLOC) || s.size === 0) continue;
    const tbss = s.type === SHT_NOBITS && phdrs.some((p) => p.type === PT_TLS && p.vaddr <= s.addr && s.addr <= p.vaddr + p.memsz);
    if (tbss) continue; // .tbss occupies no address range of its own
    const seg = loads.find((l) => l.vaddr <= s.addr && s.addr + s.size <= l.vaddr + l.memsz);
    if (!seg) {
      // A SHT_NOBITS section may span several adjacent segments (a zero-filled range that was
      // split); all of its addresses must still be mapped.
      if (s.type === SHT_NOBITS && covered(loads, s.addr, s.addr + s.size)) continue;
      problems.push(`allocated section ${s.name} is not inside a PT_LOAD`);
      continue;
    }
    if (sectionHasFileBytes(s)) {
      if (s.addr + s.size > seg.vaddr + seg.filesz) problems.push(`section ${s.name} has file bytes but lies in the zero-filled part of its segment`);
      else if (s.offset - seg.offset !== s.addr - seg.vaddr) problems.push(`section ${s.name}: sh_offset does not match where its segment maps sh_addr from`);
    }
  }
  return problems;
}

function covered(loads, start, end) {
  let at = start;
  for (const l of [...loads].sort((a, b) => a.vaddr - b.vaddr)) {
    if (l.vaddr <= at && at < l.vaddr + l.memsz) at = l.vaddr + l.memsz;
    if (at >= end) return true;
  }
  return at >= end;
}

/**
 * Where the bytes of virtual address range [vaddr, vaddr+length) come from, as the loader maps
 * them: a list of { vaddr, length, offset } pieces, offset === null for zero-filled memory.
 * Throws when part of the range is not mapped by any PT_LOAD.
 */
export function memoryPieces(phdrs, vaddr, length) {
  const loads = phdrs.filter((p) => p.type === PT_LOAD).sort((a, b) => a.vaddr - b.vaddr);
  const pieces = [];
  let at = vaddr;
  const end = vaddr + length;
  while (at < end) {
    const seg = loads.find((l) => l.vaddr <= at && at < l.vaddr + l.memsz);
    if (!seg) throw new Error(`address 0x${at.toString(16)} is not mapped by any PT_LOAD`);
    const segEnd = Math.min(end, seg.vaddr + seg.memsz);
    const fileBacked = seg.vaddr + seg.filesz;
    if (at < fileBacked) {
      const n = Math.min(segEnd, fileBacked) - at;
      pieces.push({ vaddr: at, length: n, offset: seg.offset + (at - seg.vaddr) });
      at += n;
    }
    if (at < segEnd) {
      pieces.push({ vaddr: at, length: segEnd - at, offset: null });
      at = segEnd;
    }
  }
  return pieces;
}

const SHT_DYNAMIC = 6;
const DT_NEEDED = 1;
const DT_SONAME = 14;

/** Null-terminated string at `offset` of a string table buffer. */
function cString(buf, offset) {
  const end = buf.indexOf(0, offset);
  return buf.toString('latin1', offset, end < 0 ? buf.length : end);
}

/**
 * The dynamic symbols of an open ELF64 file ({ name, defined, type }) and its DT_NEEDED and
 * DT_SONAME entries.
 */
export function dynamicInfo(fd, elf = readElf(fd)) {
  const dynsym = elf.shdrs.find((s) => s.type === SHT_DYNSYM);
  const symbols = [];
  if (dynsym) {
    const strtab = elf.shdrs[dynsym.link];
    const names = readAt(fd, strtab.offset, strtab.size);
    const table = readAt(fd, dynsym.offset, dynsym.size);
    for (let o = 24; o + 24 <= table.length; o += 24) {
      symbols.push({ name: cString(names, table.readUInt32LE(o)), type: table[o + 4] & 0xf, defined: table.readUInt16LE(o + 6) !== 0 });
    }
  }
  const needed = [];
  let soname = null;
  const dynamic = elf.shdrs.find((s) => s.type === SHT_DYNAMIC);
  if (dynamic) {
    const strtab = readAt(fd, elf.shdrs[dynamic.link].offset, elf.shdrs[dynamic.link].size);
    const table = readAt(fd, dynamic.offset, dynamic.size);
    for (let o = 0; o + 16 <= table.length; o += 16) {
      const tag = Number(table.readBigInt64LE(o));
      const value = Number(table.readBigUInt64LE(o + 8));
      if (tag === 0) break;
      if (tag === DT_NEEDED) needed.push(cString(strtab, value));
      if (tag === DT_SONAME) soname = cString(strtab, value);
    }
  }
  return { symbols, needed, soname };
}

/** Section type of the symbol version requirements (.gnu.version_r). */
export const SHT_GNU_VERNEED = 0x6ffffffe;

/**
 * The symbol versions an ELF64 file needs, per library: `[{ file, versions }]` from its
 * .gnu.version_r section (Elf64_Verneed / Elf64_Vernaux), e.g.
 * `{ file: 'libc.so.6', versions: ['GLIBC_2.2.5', 'GLIBC_2.14'] }`. Empty for a file that needs
 * no versioned symbols. Reads only the headers and the two sections involved.
 */
export function versionNeeds(path) {
  const fd = openSync(path, 'r');
  try {
    const { size, shdrs } = readElf(fd);
    const out = [];
    for (const sec of shdrs.filter((s) => s.type === SHT_GNU_VERNEED && s.size > 0)) {
      const strSec = shdrs[sec.link];
      if (!strSec || sec.offset + sec.size > size || strSec.offset + strSec.size > size) throw new Error('bad .gnu.version_r links');
      const data = readAt(fd, sec.offset, sec.size);
      const strs = readAt(fd, strSec.offset, strSec.size);
      const str = (o) => {
        const end = strs.indexOf(0, o);
        return strs.toString('latin1', o, end < 0 ? strs.length : end);
      };
      let at = 0;
      for (;;) {
        if (at + 16 > data.length) throw new Error('truncated Elf64_Verneed');
        const cnt = data.readUInt16LE(at + 2);
        const file = str(data.readUInt32LE(at + 4));
        const versions = [];
        let aux = at + data.readUInt32LE(at + 8);
        for (let i = 0; i < cnt; i++) {
          if (aux + 16 > data.length) throw new Error('truncated Elf64_Vernaux');
          versions.push(str(data.readUInt32LE(aux + 8)));
          const nextAux = data.readUInt32LE(aux + 12);
          if (nextAux === 0) break;
          aux += nextAux;
        }
        out.push({ file, versions });
        const next = data.readUInt32LE(at + 12);
        if (next === 0) break;
        at += next;
      }
    }
    return out;
  } finally {
    closeSync(fd);
  }
}
