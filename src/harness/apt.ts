import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from './errors.js';
import { run } from './exec.js';

/** One apt source: where, which suites, which components. */
export interface AptSource {
  uri: string;
  suites: string[];
  components: string[];
}

const debianCodenames = ['buster', 'bullseye', 'bookworm', 'trixie', 'forky', 'sid'];

/** Parses both apt formats: one-line `deb URI SUITE COMP...` and deb822 `.sources` stanzas. */
export function parseAptSources(text: string): AptSource[] {
  const sources: AptSource[] = [];
  const lines = text.split('\n');
  // One-line format.
  for (const raw of lines) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (m) sources.push({ uri: m[1]!, suites: [m[2]!], components: m[3]!.split(/\s+/).filter(Boolean) });
  }
  // deb822 format: stanzas separated by blank lines.
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    for (const raw of stanza.split('\n')) {
      if (raw.startsWith('#')) continue;
      const m = /^([A-Za-z-]+):\s*(.*)$/.exec(raw);
      if (m) fields.set(m[1]!.toLowerCase(), m[2]!.trim());
    }
    const types = (fields.get('types') ?? '').split(/\s+/);
    if (!types.includes('deb') || fields.get('enabled') === 'no') continue;
    for (const uri of (fields.get('uris') ?? '').split(/\s+/).filter(Boolean)) {
      sources.push({
        uri,
        suites: (fields.get('suites') ?? '').split(/\s+/).filter(Boolean),
        components: (fields.get('components') ?? '').split(/\s+/).filter(Boolean),
      });
    }
  }
  return sources;
}

/**
 * The Debian archive mirror the machine is configured with: the first source
 * that serves a Debian release suite (not the security archive).
 */
export function pickDebianMirror(sources: readonly AptSource[]): string | undefined {
  for (const s of sources) {
    const suite = s.suites.find((x) => debianCodenames.includes(x));
    if (suite && s.components.includes('main') && !/security/.test(s.uri)) return s.uri.replace(/\/+$/, '');
  }
  return undefined;
}

/** Reads the machine's apt configuration and returns its Debian mirror. */
export async function machineDebianMirror(etc = '/etc/apt'): Promise<string> {
  const files = [path.join(etc, 'sources.list')];
  const dir = path.join(etc, 'sources.list.d');
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.endsWith('.list') || name.endsWith('.sources')) files.push(path.join(dir, name));
  }
  const sources: AptSource[] = [];
  for (const file of files) sources.push(...parseAptSources(await readFile(file, 'utf8').catch(() => '')));
  const mirror = pickDebianMirror(sources);
  if (!mirror) {
    throw new HarnessError(
      'No Debian mirror found in the apt configuration (/etc/apt/sources.list, /etc/apt/sources.list.d).',
      'Configure a Debian mirror for apt, or pass a kernel source by path.',
    );
  }
  return mirror;
}

/**
 * An apt configuration of our own (its own source list, package lists and
 * cache under `dir`), so that packages of another Debian suite can be fetched
 * without touching the machine's apt sources.
 */
export class PrivateApt {
  constructor(
    private readonly dir: string,
    private readonly mirror: string,
    private readonly suite: string,
  ) {}

  private options(): string[] {
    return [
      '-o', `Dir::Etc::SourceList=${path.join(this.dir, 'sources.list')}`,
      '-o', 'Dir::Etc::SourceParts=/dev/null',
      '-o', `Dir::State::Lists=${path.join(this.dir, 'lists')}`,
      '-o', `Dir::Cache=${path.join(this.dir, 'cache')}`,
      '-o', 'Debug::NoLocking=1',
      '-o', 'APT::Sandbox::User=root',
      '-q',
    ];
  }

  async update(): Promise<void> {
    await mkdir(path.join(this.dir, 'lists', 'partial'), { recursive: true });
    await mkdir(path.join(this.dir, 'cache', 'archives', 'partial'), { recursive: true });
    await writeFile(
      path.join(this.dir, 'sources.list'),
      `deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${this.mirror} ${this.suite} main\n`,
    );
    await run('apt-get', [...this.options(), 'update'], {
      hint: `Could not read the ${this.suite} package list from the machine's Debian mirror; check the network, or pass the kernel source by path.`,
    });
  }

  /** The version apt would fetch, or undefined when the suite has no such package. */
  async candidate(pkg: string): Promise<string | undefined> {
    const out = await run('apt-cache', [...this.options(), 'policy', pkg]);
    const m = /Candidate:\s*(\S+)/.exec(out);
    return m && m[1] !== '(none)' ? m[1] : undefined;
  }

  /** Downloads `pkg=version` into `destDir` and returns the .deb path. */
  async download(pkg: string, version: string, destDir: string): Promise<string> {
    await mkdir(destDir, { recursive: true });
    await run('apt-get', [...this.options(), 'download', `${pkg}=${version}`], { cwd: destDir });
    const deb = (await readdir(destDir)).find((n) => n.startsWith(`${pkg}_`) && n.endsWith('.deb'));
    if (!deb) throw new HarnessError(`apt-get download ${pkg}=${version} produced no .deb file.`, 'Retry; check the mirror.');
    return path.join(destDir, deb);
  }
}
