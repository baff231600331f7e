/**
 * The content of a file that a git-format patch creates (`new file mode`),
 * or undefined when the patch does not create it.
 */
export function fileCreatedByPatch(patch: string, file: string): string | undefined {
  const header = `diff --git a/${file} b/${file}\nnew file mode`;
  const start = patch.indexOf(header);
  if (start < 0) return undefined;
  const hunk = patch.indexOf('\n@@ ', start);
  if (hunk < 0) return undefined;
  const lines: string[] = [];
  for (const line of patch.slice(patch.indexOf('\n', hunk + 1) + 1).split('\n')) {
    if (line.startsWith('+')) lines.push(line.slice(1));
    else if (line === '\\ No newline at end of file') continue;
    else break;
  }
  return `${lines.join('\n')}\n`;
}
