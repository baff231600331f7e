import { describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src/experiment/cell.js';
import { failedRunsSection, fenced, markdownTable } from '../../../src/report/markdown.js';
import { renderMarkdown } from '../../../src/report/markdown.js';
import { buildModel } from '../../../src/report/model.js';
import { loadResults } from '../../../src/report/load.js';
import { FIXTURE_DIR } from './fixture.js';

const failed = (over: Partial<RunRecord>): RunRecord => ({
  index: 4,
  workload: 'course',
  policy: 'balloon',
  rep: 2,
  status: 'failed',
  failure: 'crash',
  error: 'exit 1: boom',
  exitCode: 1,
  startedAt: '2025-01-15T10:00:00Z',
  durationMs: 10,
  command: 'balloon run …',
  stderrTail: 'line 1\nline 2',
  startState: null,
  result: null,
  ...over,
});

describe('markdownTable', () => {
  it('aligns text columns left and figures right, with explicit :--- and ---:', () => {
    expect(markdownTable(['name', 'count', 'note'], [['a|b', '1,234', 'x\ny']], ['left', 'right', 'left'])).toBe(
      ['| name | count | note |', '| :--- | ---: | :--- |', '| a\\|b | 1,234 | x y |'].join('\n'),
    );
    expect(markdownTable(['a', 'b'], [])).toBe('| a | b |\n| :--- | :--- |');
  });
});

describe('fenced', () => {
  it('uses a fence longer than any backtick run of the text', () => {
    expect(fenced('plain\n\n')).toBe('```text\nplain\n```');
    expect(fenced('has ``` inside and ````')).toBe('`````text\nhas ``` inside and ````\n`````');
  });
});

describe('failed runs in report.md', () => {
  it('lists each failed run and its stderr tail in a fenced block', () => {
    const section = failedRunsSection([failed({}), failed({ index: 9, policy: 'fifo', failure: 'timeout', stderrTail: '' })]).join('\n');
    expect(section).toBe(
      [
        '## Failed runs',
        '',
        '| run | workload | policy | rep | failure | error |',
        '| ---: | :--- | :--- | ---: | :--- | :--- |',
        '| 5 | course | balloon | 2 | crash | exit 1: boom |',
        '| 10 | course | fifo | 2 | timeout | exit 1: boom |',
        '',
        '### Run 5: course/balloon rep 2 (crash)',
        '',
        'Last lines of stderr:',
        '',
        '```text',
        'line 1',
        'line 2',
        '```',
        '',
        '### Run 10: course/fifo rep 2 (timeout)',
        '',
        '_No stderr._',
        '',
      ].join('\n'),
    );
    expect(failedRunsSection([])).toEqual([]);
  });

  it('carries the fixture\'s failed runs with what they printed', async () => {
    const md = renderMarkdown(buildModel(await loadResults(FIXTURE_DIR)));
    expect(md).toContain('| 11 | course | lru-approx | 2 | timeout | timed out after 600 s |');
    expect(md).toContain('### Run 14: zipf/fifo rep 2 (crash)\n\nLast lines of stderr:\n\n```text\nballoon: agent: registering...\nballoon: swap-out failed: EINVAL (range not owned)\n```');
    expect(md).toContain('### Run 11: course/lru-approx rep 2 (timeout)\n\nLast lines of stderr:\n\n```text\nballoon: course: 40% of 45056 references\n```');
  });
});
