// Types of models.mjs, for the TypeScript tests that import it.

/** Options of {@link fuzzModels}. */
export interface FuzzOptions {
  count: number;
  seed: number;
  models: string[];
  jobs: number;
  timeout: number;
  keep: string | null;
  json: boolean;
  isolated: boolean;
}

/** One crashing or hanging mutant. */
export interface FuzzCrash {
  index: number;
  model: string;
  kinds: string[];
  size: number;
  result: 'crash' | 'hang';
  signal?: string | null;
  exitCode?: number | null;
  stderr?: string;
  contained?: boolean;
}

/** Summary of a fuzz run. */
export interface FuzzSummary {
  seed: number;
  count: number;
  isolated: boolean;
  models: string[];
  counts: { ok: number; error: number; crash: number; hang: number };
  errorCodes: Record<string, number>;
  crashes: FuzzCrash[];
  seconds: number;
}

export function parseArgs(argv: string[]): FuzzOptions;
export function rng(seed: number): () => number;
export const MUTATIONS: Record<string, (bytes: Uint8Array, random: () => number, donor: Uint8Array) => Uint8Array>;
export function makeMutant(seed: number, index: number, models: Record<string, Uint8Array>): { model: string; kinds: string[]; bytes: Uint8Array };
export function fuzzModels(opts: FuzzOptions): Promise<FuzzSummary>;
