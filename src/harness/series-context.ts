import { createHash } from 'node:crypto';

/**
 * What `git am` needs of the tree a patch series was written against: for
 * every file a patch modifies, the file's blob id before the patch and, for
 * every hunk, where it starts and the lines it expects there (context and
 * removed lines, as a hash). Recorded from a real tree by
 * `scripts/kernel-context.ts`, checked against the patches by the unit tests,
 * so that a series regenerated on another tree, or a hunk edited by hand,
 * fails CI even where that tree is not at hand.
 */
export interface SeriesContext {
  /** What the series was recorded against, for people. */
  base: string;
  patches: PatchContext[];
}

export interface PatchContext {
  patch: string;
  files: FileContext[];
}

export interface FileContext {
  path: string;
  /** Full blob id of the file before this patch (after the patches before it). */
  blob: string;
  hunks: HunkContext[];
}

export interface HunkContext {
  oldStart: number;
  oldLines: number;
  /** SHA-256 of the hunk's preimage lines, joined with '\n'. */
  sha256: string;
}

/** One file section of a git-format patch. */
export interface PatchedFile {
  path: string;
  created: boolean;
  deleted: boolean;
  /** Abbreviated blob id before the patch (from the `index` line). */
  preimageBlob: string | undefined;
  hunks: ParsedHunk[];
}

export interface ParsedHunk {
  oldStart: number;
  oldLines: number;
  /** Context and removed lines, in order: what must be in the tree. */
  preimage: string[];
}

const hunkHeader = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** Splits a git-format patch into its files and hunks. */
export function parsePatch(text: string): PatchedFile[] {
  const files: PatchedFile[] = [];
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length) {
    const header = /^diff --git a\/(\S+) b\/(\S+)$/.exec(lines[i]!);
    if (!header) {
      i++;
      continue;
    }
    const file: PatchedFile = { path: header[2]!, created: false, deleted: false, preimageBlob: undefined, hunks: [] };
    files.push(file);
    i++;
    for (; i < lines.length && !lines[i]!.startsWith('@@') && !lines[i]!.startsWith('diff --git '); i++) {
      const line = lines[i]!;
      if (line.startsWith('new file mode')) file.created = true;
      if (line.startsWith('deleted file mode')) file.deleted = true;
      const index = /^index ([0-9a-f]+)\.\.[0-9a-f]+/.exec(line);
      if (index) file.preimageBlob = index[1];
    }
    while (i < lines.length && lines[i]!.startsWith('@@')) {
      const m = hunkHeader.exec(lines[i]!);
      if (!m) throw new Error(`malformed hunk header in ${file.path}: ${lines[i]}`);
      const oldLines = m[2] === undefined ? 1 : Number(m[2]);
      const newLines = m[4] === undefined ? 1 : Number(m[4]);
      const hunk: ParsedHunk = { oldStart: Number(m[1]), oldLines, preimage: [] };
      i++;
      let oldSeen = 0;
      let newSeen = 0;
      while (i < lines.length && (oldSeen < oldLines || newSeen < newLines)) {
        const line = lines[i]!;
        if (line.startsWith('diff --git ')) break;
        if (line.startsWith('\\')) {
          i++;
          continue;
        }
        const tag = line[0];
        const body = line.slice(1);
        if (tag === ' ' || line === '') {
          hunk.preimage.push(body);
          oldSeen++;
          newSeen++;
        } else if (tag === '-') {
          hunk.preimage.push(body);
          oldSeen++;
        } else if (tag === '+') {
          newSeen++;
        } else {
          throw new Error(`unexpected line in a hunk of ${file.path}: ${line}`);
        }
        i++;
      }
      if (oldSeen !== oldLines || newSeen !== newLines) throw new Error(`truncated hunk in ${file.path} at @@ -${hunk.oldStart}`);
      file.hunks.push(hunk);
    }
  }
  return files;
}

export const hashLines = (lines: string[]): string => createHash('sha256').update(lines.join('\n')).digest('hex');

/** The context record of one patch, from its parsed files and the blob ids of the tree it applies to. */
export function contextOf(patch: string, files: PatchedFile[], blobOf: (path: string) => string): PatchContext {
  return {
    patch,
    files: files
      .filter((f) => !f.created)
      .map((f) => ({
        path: f.path,
        blob: blobOf(f.path),
        hunks: f.hunks.map((h) => ({ oldStart: h.oldStart, oldLines: h.oldLines, sha256: hashLines(h.preimage) })),
      })),
  };
}

/**
 * Differences between the patches as they are and the recorded context: a
 * patch, file or hunk that is not recorded, one whose preimage changed, an
 * `index` line whose blob is not the recorded one. Empty when they agree.
 */
export function compareWithContext(context: SeriesContext, patches: { name: string; content: string }[]): string[] {
  const problems: string[] = [];
  const recorded = new Map(context.patches.map((p) => [p.patch, p]));
  for (const name of recorded.keys()) {
    if (!patches.some((p) => p.name === name)) problems.push(`${name}: recorded, but not in the series`);
  }
  for (const { name, content } of patches) {
    const record = recorded.get(name);
    if (!record) {
      problems.push(`${name}: not recorded (run scripts/kernel-context.ts --record on a pristine tree)`);
      continue;
    }
    const files = parsePatch(content).filter((f) => !f.created);
    const recordedFiles = new Map(record.files.map((f) => [f.path, f]));
    for (const path of recordedFiles.keys()) {
      if (!files.some((f) => f.path === path)) problems.push(`${name}: ${path} is recorded but the patch no longer modifies it`);
    }
    for (const file of files) {
      const want = recordedFiles.get(file.path);
      if (!want) {
        problems.push(`${name}: modifies ${file.path}, which is not recorded`);
        continue;
      }
      if (file.preimageBlob === undefined || !want.blob.startsWith(file.preimageBlob)) {
        problems.push(`${name}: ${file.path} applies to blob ${file.preimageBlob ?? '(none)'}, recorded ${want.blob.slice(0, 12)}: the patch was made on another tree`);
      }
      if (file.hunks.length !== want.hunks.length) {
        problems.push(`${name}: ${file.path} has ${file.hunks.length} hunk(s), recorded ${want.hunks.length}`);
        continue;
      }
      file.hunks.forEach((hunk, k) => {
        const w = want.hunks[k]!;
        if (hunk.oldStart !== w.oldStart || hunk.oldLines !== w.oldLines || hashLines(hunk.preimage) !== w.sha256) {
          problems.push(`${name}: ${file.path} hunk ${k + 1} (@@ -${hunk.oldStart},${hunk.oldLines}) no longer matches the recorded context (@@ -${w.oldStart},${w.oldLines})`);
        }
      });
    }
  }
  return problems;
}

/** Checks each hunk's preimage against the file it must apply to (exact lines at exact places, as `git am` wants). */
export function checkHunksAgainstFile(file: PatchedFile, text: string): string[] {
  const lines = text.split('\n');
  const problems: string[] = [];
  file.hunks.forEach((hunk, k) => {
    const start = hunk.oldLines === 0 ? hunk.oldStart : hunk.oldStart - 1;
    const actual = lines.slice(start, start + hunk.oldLines);
    if (hashLines(actual) !== hashLines(hunk.preimage)) problems.push(`${file.path} hunk ${k + 1} (@@ -${hunk.oldStart},${hunk.oldLines}) does not match the tree`);
  });
  return problems;
}
