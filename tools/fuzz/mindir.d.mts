// Types of mindir.mjs, for the TypeScript tests that import it.

/** Options of {@link fuzzMindir}. */
export interface MindirFuzzOptions {
  count: number;
  seed: number;
  models: string[];
  /** Per-mutant timeout (ms). */
  timeout: number;
  keep: string | null;
  json: boolean;
  verbose: boolean;
}

/** One mutant: the fixture it came from, the mutation kinds applied (1 or 2) and what each changed. */
export interface MindirMutant {
  model: string;
  kinds: string[];
  details: string[];
  bytes: Uint8Array;
}

/** The outcome of one mutant in the runner child. */
export interface MindirResult {
  index: number;
  model: string;
  kinds: string[];
  details: string[];
  size: number;
  result: 'ok' | 'error' | 'crash' | 'hang';
  /** LiteError code (or NON_LITE) of an error. */
  code?: string;
  /** Where an error, crash or hang happened. */
  phase?: 'build' | 'inputs' | 'predict';
  message?: string;
  signal?: string | null;
  exitCode?: number | null;
  predict?: 'ran' | 'skipped';
  /** What the runner wrote to stderr during this mutant (the engine's output; last 1500 characters). */
  stderr: string;
}

/** A crashing or hanging mutant, with the outcome of running it again alone in a fresh runner. */
export interface MindirCrash extends MindirResult {
  alone?: { result: string; phase?: string; code?: string; signal?: string | null; exitCode?: number | null; stderr: string };
  reproducible?: boolean;
}

/** Summary of a fuzz run. */
export interface MindirFuzzSummary {
  seed: number;
  count: number;
  models: string[];
  counts: { ok: number; error: number; crash: number; hang: number };
  errorCodes: Record<string, number>;
  errorPhases: Record<string, number>;
  predict: { ran: number; skipped: number };
  /** Outcome counts (ok / LiteError code / crash / hang) per mutation kind. */
  byKind: Record<string, Record<string, number>>;
  crashes: MindirCrash[];
  /** Runner deaths outside any mutant (idle, or a bad exit when told to stop). */
  exitsBetweenMutants: { afterIndex: number; when: 'idle' | 'stop'; signal: string | null; exitCode: number | null }[];
  /** Mutants during which the runner wrote to stderr / stdout. */
  stderrMutants: number;
  stdoutMutants: number;
  topStderr: { line: string; mutants: number }[];
  /** Runner processes started (1 + one per crash or hang + one per re-run alone). */
  children: number;
  maxRssMB: number;
  seconds: number;
}

/** One walked protobuf field (see walkMindir). */
export interface WireField {
  type: string;
  num: number;
  wt: number;
  parent: number;
  depth: number;
  tagAt: number;
  valAt: number;
  payloadAt: number;
  end: number;
  value: bigint | null;
  sub: string | null;
  kids: number[] | null;
}

export const DEFAULT_MODELS: string[];
export const WEIGHTS: Record<string, number>;
export const MUTATIONS: Record<string, (ctx: { bytes: Uint8Array; walk: { fields: WireField[]; roots: number[] } | null; donor?: unknown }, random: () => number) => { bytes: Uint8Array; detail: string } | null>;
export function parseArgs(argv: string[]): MindirFuzzOptions;
export function encodeVarint(value: number | bigint): Uint8Array;
export function walkMindir(bytes: Uint8Array): { fields: WireField[]; roots: number[] } | null;
export function loadModels(names: string[]): Record<string, Uint8Array>;
export function makeMindirMutant(seed: number, index: number, models: Record<string, Uint8Array>): MindirMutant;
export function fuzzMindir(opts: MindirFuzzOptions, onResult?: (record: MindirResult) => void): Promise<MindirFuzzSummary>;
