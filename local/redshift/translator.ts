// The Redshift-SQL translator: a long-lived Python helper (translate.py, sqlglot's redshift dialect) that
// answers one JSON line per request. Started on first use, restarted if it dies: a request in flight when
// it died is sent once more to the new process, and fails with a named error if it kills that one too.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export interface SqlStatement {
  readonly kind: 'sql';
  readonly sql: string;
  readonly params: string[];
  readonly command: string;
  readonly readonly?: boolean;
  readonly truncate?: boolean;
  readonly database?: boolean;
  readonly merge?: { readonly target: string; readonly source: string };
}

export interface CopyStatement {
  readonly kind: 'copy';
  readonly table: string;
  readonly schema: string | null;
  readonly name: string;
  readonly columns: string[] | null;
  readonly source: string;
  readonly iamRole: string;
  readonly options: CopyOptions;
  readonly command: 'COPY';
}

export interface CopyOptions {
  readonly CSV?: boolean;
  readonly QUOTE?: string;
  readonly DELIMITER?: string;
  readonly NULL?: string;
  readonly TIMEFORMAT?: string;
  readonly DATEFORMAT?: string;
  readonly IGNOREHEADER?: number;
  readonly ACCEPTINVCHARS?: string;
  readonly REGION?: string;
  readonly EMPTYASNULL?: boolean;
  readonly BLANKSASNULL?: boolean;
  readonly TRUNCATECOLUMNS?: boolean;
  readonly TRIMBLANKS?: boolean;
  readonly FILLRECORD?: boolean;
  readonly IGNOREBLANKLINES?: boolean;
  readonly ROUNDEC?: boolean;
  readonly GZIP?: boolean;
}

export type Statement = SqlStatement | CopyStatement;

/** What Redshift would refuse (or the stand-in cannot emulate): the statement fails with this message. */
export class TranslationError extends Error {
  override name = 'TranslationError';
  constructor(
    message: string,
    readonly code: 'syntax' | 'unsupported' | 'not_emulated',
  ) {
    super(message);
  }
}

export class TranslatorCrashedError extends Error {
  override name = 'TranslatorCrashedError';
}

interface Pending {
  readonly line: string;
  readonly resolve: (s: Statement) => void;
  readonly reject: (e: Error) => void;
  retried: boolean;
}

export class Translator {
  private proc: ChildProcessWithoutNullStreams | undefined;
  private readonly pending = new Map<number, Pending>();
  private next = 1;
  private closed = false;
  private stderr = '';
  /** How many times the helper was (re)started. */
  starts = 0;

  constructor(
    private readonly python: string,
    private readonly script = join(import.meta.dirname, 'translate.py'),
  ) {}

  get pid(): number | undefined {
    return this.proc?.pid;
  }

  translate(sql: string, params: string[] | null, database: string): Promise<Statement> {
    if (this.closed) return Promise.reject(new TranslatorCrashedError('the translator is closed'));
    const id = this.next++;
    const line = `${JSON.stringify({ id, sql, params, database })}\n`;
    return new Promise<Statement>((resolve, reject) => {
      this.pending.set(id, { line, resolve, reject, retried: false });
      this.ensure().stdin.write(line);
    });
  }

  private ensure(): ChildProcessWithoutNullStreams {
    if (this.proc && this.proc.exitCode === null && !this.proc.killed) return this.proc;
    const proc = spawn(this.python, [this.script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.starts++;
    this.stderr = '';
    proc.stderr.on('data', (d: Buffer) => (this.stderr = (this.stderr + d.toString()).slice(-2000)));
    proc.stdin.on('error', () => undefined); // a dead helper: handled on exit
    createInterface({ input: proc.stdout }).on('line', (l) => this.answer(l));
    proc.on('exit', () => this.died(proc));
    proc.on('error', (e) => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(new TranslatorCrashedError(`could not start the SQL translator (${this.python}): ${e.message}`));
      }
    });
    this.proc = proc;
    return proc;
  }

  private answer(line: string): void {
    let msg: { id: number; ok: boolean; statement?: Statement; error?: string; code?: string };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok && msg.statement) p.resolve(msg.statement);
    else p.reject(new TranslationError(msg.error ?? 'translation failed', (msg.code ?? 'unsupported') as never));
  }

  private died(proc: ChildProcessWithoutNullStreams): void {
    if (this.proc === proc) this.proc = undefined;
    if (this.closed || this.pending.size === 0) return;
    const again = [...this.pending.values()].filter((p) => !p.retried);
    for (const [id, p] of this.pending)
      if (p.retried) {
        this.pending.delete(id);
        p.reject(
          new TranslatorCrashedError(
            `the SQL translator died twice on this statement: ${this.stderr.trim().slice(-300)}`,
          ),
        );
      }
    if (again.length === 0) return;
    const next = this.ensure();
    for (const p of again) {
      p.retried = true;
      next.stdin.write(p.line);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const proc = this.proc;
    this.proc = undefined;
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      p.reject(new TranslatorCrashedError('the translator was closed'));
    }
    if (proc && proc.exitCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.stdin.end();
      proc.kill('SIGTERM');
      await exited;
    }
  }
}
