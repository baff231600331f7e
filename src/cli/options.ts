/**
 * One grammar for every command's options: value checks that run while
 * commander parses (so a bad value is refused before anything runs, naming the
 * flag as the help shows it, e.g. `-r/--repetitions`), and every commander
 * error turned into the CLI's one line `balloon: error: … (see balloon CMD --help)`.
 */
import { accessSync, constants } from 'node:fs';
import { InvalidArgumentError, Option, type CommanderError } from 'commander';
import { parseSizeBytes, parseSizePages, SizeError } from '../harness/sizes.js';
import { parseCpuShare, UsageError } from '../shared/usage.js';

/** `-r, --repetitions <n>` -> `-r/--repetitions`. */
export function flagName(flags: string): string {
  return flags
    .split(/[\s,|]+/)
    .filter((f) => f.startsWith('-'))
    .join('/');
}

const invalid = (message: string): never => {
  throw new InvalidArgumentError(message);
};

/** A positive integer; the value stays a string (the commands parse it again). */
export function positiveIntArg(name: string): (text: string) => string {
  return (text) => {
    const n = Number(text);
    if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n <= 0) {
      const tooBig = /^\s*\d+\s*$/.test(text) && !Number.isSafeInteger(n);
      invalid(tooBig ? `${name} ${text} is too large (at most ${Number.MAX_SAFE_INTEGER})` : `${name} must be a positive integer, got "${text}"`);
    }
    return text;
  };
}

/** A share of one CPU (shared/usage.ts's parseCpuShare: "0.05" or "5%"); the value stays as typed. */
export function cpuShareArg(name: string): (text: string) => string {
  return (text) => {
    try {
      parseCpuShare(text, name);
    } catch (err) {
      if (err instanceof UsageError) invalid(err.message);
      throw err;
    }
    return text;
  };
}

/** A size in the size grammar (src/harness/sizes.ts), at least `minPages` pages when given; the value stays as typed. */
export function sizeArg(name: string, minPages?: number): (text: string) => string {
  return (text) => {
    try {
      if (minPages === undefined) parseSizeBytes(text, name);
      else parseSizePages(text, name, minPages);
    } catch (err) {
      if (err instanceof SizeError) invalid(err.message);
      throw err;
    }
    return text;
  };
}

/** A size in the size grammar, handed on as a number of 4 KiB pages (rounded up), at least `minPages`. */
export function pagesArg(name: string, minPages = 1): (text: string) => string {
  return (text) => {
    try {
      return String(parseSizePages(text, name, minPages));
    } catch (err) {
      if (err instanceof SizeError) invalid(err.message);
      throw err;
    }
  };
}

/** A file that exists and can be read. */
export function readableFileArg(name: string): (text: string) => string {
  return (text) => {
    try {
      accessSync(text, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      invalid(`${name} ${text}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable' : (code ?? String(err))}`);
    }
    return text;
  };
}

/** An option whose value is checked by `check(flagName)` while parsing. */
export function checkedOption(flags: string, description: string, check: (name: string) => (text: string) => string): Option {
  return new Option(flags, description).argParser(check(flagName(flags)));
}

/** The subcommand path of argv for the help hint (`run`, `vm up`), or '' for the top level. */
export function commandPath(argv: readonly string[], commands: ReadonlyMap<string, readonly string[]>): string {
  const words = argv.filter((a) => !a.startsWith('-'));
  const first = words[0];
  if (first === undefined || !commands.has(first)) return '';
  const sub = words[1];
  return sub !== undefined && commands.get(first)!.includes(sub) ? `${first} ${sub}` : first;
}

/** `(see balloon run --help)`. */
export const helpHint = (path: string): string => `(see balloon ${path === '' ? '' : `${path} `}--help)`;

/**
 * commander's error (its message as it would print it) as the CLI's one line
 * without the `balloon: error:` prefix; flags named as `-p/--policy`.
 */
export function commanderErrorLine(err: CommanderError): string {
  const message = err.message.replace(/^error:\s*/i, '');
  const m =
    /^option '([^']+)' argument '([\s\S]*)' is invalid\.\s*([\s\S]*)$/.exec(message) ??
    /^command-argument value '([^']*)' is invalid for argument '([^']+)'\.\s*([\s\S]*)$/.exec(message);
  let line: string;
  if (err.code === 'commander.invalidArgument' && m) {
    const [, flags, value, why] = m as unknown as [string, string, string, string];
    const name = flagName(flags) || flags;
    // Our checks name the flag themselves; commander's own (choices) and others' do not.
    line = why.startsWith('-') ? why : `${name} ${JSON.stringify(value)}: ${why.replace(/^Allowed choices are /, 'choose one of ').replace(/\.$/, '')}`;
  } else if (err.code === 'commander.missingMandatoryOptionValue') {
    const flags = /option '([^']+)'/.exec(message)?.[1];
    line = flags === undefined ? message : `${flagName(flags)} is required`;
  } else if (err.code === 'commander.optionMissingArgument') {
    const flags = /option '([^']+)'/.exec(message)?.[1];
    line = flags === undefined ? message : `${flagName(flags)} needs a value (${flags})`;
  } else if (err.code === 'commander.unknownOption' || err.code === 'commander.unknownCommand') {
    line = message.replace(/'([^']+)'/, '$1').replace(/\s*\n\s*\(Did you mean (.*)\?\)/, '; did you mean $1?');
  } else if (err.code === 'commander.missingArgument') {
    line = message.replace(/^missing required argument '([^']+)'/, 'missing $1');
  } else {
    line = message;
  }
  return line.replace(/\s*\n\s*/g, ' ').trim();
}
