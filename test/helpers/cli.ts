// One CLI invocation in-process: main(argv) with stdout and stderr captured, the exit code returned.
import { vi } from 'vitest';
import { main } from '#local/cli/main.ts';

export async function cli(argv: string[]): Promise<{ out: string; err: string; code: number }> {
  const captured = { out: '', err: '' };
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((captured.out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((captured.err += String(s)), true));
  try {
    const code = await main(argv);
    return { ...captured, code };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
