import { execa, ExecaError, type Options } from 'execa';
import { HarnessError } from './errors.js';

/** Quotes a word for a POSIX shell (left as is when it needs no quoting). */
export const shQuote = (s: string): string => (/^[A-Za-z0-9_./:=@%+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** Last lines of a command's output, to put in an error. */
export function tail(text: string, lines = 20): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

/**
 * Runs a command to completion and returns its stdout; on failure throws a
 * HarnessError naming the command, its exit code and the end of its output.
 */
export async function run(
  file: string,
  args: readonly string[],
  options: Options & { hint?: string } = {},
): Promise<string> {
  const { hint, ...execaOptions } = options;
  try {
    const result = await execa(file, args, { stripFinalNewline: true, ...execaOptions });
    return typeof result.stdout === 'string' ? result.stdout : '';
  } catch (err) {
    if (err instanceof ExecaError) {
      const output = [err.stderr, err.stdout].map((s) => (typeof s === 'string' ? s : '')).filter((s) => s.length > 0).join('\n');
      const why = err.timedOut ? 'timed out' : err.exitCode !== undefined ? `exited with ${err.exitCode}` : err.shortMessage;
      throw new HarnessError(
        `\`${[file, ...args].join(' ').slice(0, 200)}\` ${why}.`,
        hint ?? 'See the output below.',
        tail(output || err.shortMessage, 30),
      );
    }
    throw err;
  }
}

/** Whether an executable is on PATH. */
export async function hasCommand(name: string): Promise<boolean> {
  const result = await execa('sh', ['-c', `command -v "$1"`, 'sh', name], { reject: false });
  return result.exitCode === 0;
}

/** A tool the harness needs, with the Debian package that provides it. */
export interface Requirement {
  command?: string;
  file?: string;
  debianPackage: string;
}

/** Fails with one line listing every missing tool and the apt-get command that installs them. */
export async function requireTools(scope: string, requirements: readonly Requirement[]): Promise<void> {
  const { access } = await import('node:fs/promises');
  const missing: Requirement[] = [];
  for (const req of requirements) {
    let ok = true;
    if (req.command) ok = await hasCommand(req.command);
    if (ok && req.file) ok = await access(req.file).then(() => true, () => false);
    if (!ok) missing.push(req);
  }
  if (missing.length === 0) return;
  const names = missing.map((r) => r.command ?? r.file).join(', ');
  const packages = [...new Set(missing.map((r) => r.debianPackage))].join(' ');
  throw new HarnessError(
    `${scope}: missing build dependency: ${names}.`,
    `Install it with \`apt-get install ${packages}\` (or run scripts/install-deps.sh as root).`,
  );
}
