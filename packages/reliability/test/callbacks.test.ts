// Network callbacks that throw, return junk or re-enter the API: every case ends in a clean
// LiteError (or success), never an abort. Runs in a child process.
import { describe, expect, it } from 'vitest';
import { describeRun, runHarness } from './child.js';

describe('network callbacks (child process)', () => {
  it('throwing, junk-returning and re-entrant callbacks give clean errors', async () => {
    const run = await runHarness('callbacks.mjs', [], { nodeArgs: ['--expose-gc'], timeoutMs: 60_000 });
    expect(run.signal, describeRun(run)).toBeNull();
    expect(run.code, describeRun(run)).toBe(0);
    const s = run.summary as { results: Record<string, string>; notes: Record<string, unknown> };
    console.log(`[callbacks] ${JSON.stringify(s.results)}`);
    expect(s.results).toEqual({
      // A throw fails the forward it belongs to, with the callback's message.
      'start throws (sync forward)': 'LITE_ERROR',
      'finish throws (sync forward)': 'LITE_ERROR',
      'start throws (forwardAsync)': 'LITE_ERROR',
      'finish throws (forwardAsync)': 'LITE_ERROR',
      'throws a non-Error value': 'LITE_ERROR',
      'usable after a throwing callback': 'ok',
      // Return values are ignored.
      'returns junk': 'ok',
      // Re-entering the running network is refused (busy), reported as the callback's error.
      're-enters forward from start (sync)': 'LITE_ERROR',
      're-enters forward from finish (forwardAsync)': 'LITE_ERROR',
      // Disposing the network from its own callback is refused (busy): the callback runs while
      // the engine waits inside that forward (the callbacks get the live IO tensors).
      'disposes its network from finish (sync)': 'ok',
      'disposes its network from start (forwardAsync)': 'ok',
      'reads and disposes the tensors it gets, keeps the map': 'ok',
      'uses other API calls inside (getIoTensor, new network, load)': 'LITE_ERROR',
      'asyncWithCallback throws': 'LITE_ERROR',
      'asyncWithCallback re-enters forward': 'ok',
      'asyncWithCallback disposes its network (x50, then gc)': 'ok',
      'garbage instead of a callback': 'LITE_INVALID_ARGUMENT',
    });
    expect(s.notes['start throws (sync forward)']).toBe('a network callback threw: boom');
    expect(s.notes['re-enters forward from start (sync)']).toMatch(/network is running|busy/);
    expect(s.notes.junkCalls).toBe(16);
    expect(s.notes.asyncDisposed).toBe(50);
  });
});
