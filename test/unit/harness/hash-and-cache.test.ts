import { readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KeyedCache, withLock } from '../../../src/harness/cache.js';
import { keyOf } from '../../../src/harness/hash.js';
import { tempDir } from '../../support/temp-dir.js';

describe('cache keys', () => {
  it('do not depend on the order of inputs', () => {
    expect(keyOf({ a: '1', b: '2' })).toBe(keyOf({ b: '2', a: '1' }));
  });

  it('change with any input, and cannot be confused by shifting text between inputs', () => {
    const base = keyOf({ source: 'debian:5.10', patch: 'diff A' });
    expect(keyOf({ source: 'debian:5.10', patch: 'diff B' })).not.toBe(base);
    expect(keyOf({ a: 'xy', b: '' })).not.toBe(keyOf({ a: 'x', b: 'y' }));
    expect(keyOf({ ab: '' })).not.toBe(keyOf({ a: 'b' }));
  });
});

describe('KeyedCache', () => {
  it('builds an entry once and finds it afterwards', async () => {
    const cache = new KeyedCache<{ key: string; n: number }>(tempDir('balloon-cache-'));
    let builds = 0;
    const build = async (dir: string) => {
      builds++;
      await writeFile(path.join(dir, 'artefact'), 'data');
      return { key: 'k1', n: 42 };
    };
    const first = await cache.getOrBuild('k1', build);
    const second = await cache.getOrBuild('k1', build);
    expect(first.hit).toBe(false);
    expect(second).toEqual({ meta: { key: 'k1', n: 42 }, hit: true });
    expect(builds).toBe(1);
    expect(await readdir(cache.entryDir('k1'))).toEqual(['artefact', 'meta.json']);
  });

  it('leaves nothing a later run would trust when a build fails half-way', async () => {
    const dir = tempDir('balloon-cache-');
    const cache = new KeyedCache<{ key: string }>(dir);
    await expect(
      cache.getOrBuild('k2', async (tmp) => {
        await writeFile(path.join(tmp, 'half-written'), 'x');
        throw new Error('make failed');
      }),
    ).rejects.toThrow('make failed');
    expect(await cache.lookup('k2')).toBeUndefined();
    expect(await readdir(dir)).toEqual([]);
  });

  it('ignores an entry whose metadata names another key', async () => {
    const dir = tempDir('balloon-cache-');
    const cache = new KeyedCache<{ key: string }>(dir);
    await cache.getOrBuild('k3', async () => ({ key: 'k3' }));
    const { rename } = await import('node:fs/promises');
    await rename(cache.entryDir('k3'), cache.entryDir('k4'));
    expect(await cache.lookup('k4')).toBeUndefined();
  });

  it('serializes work under one lock', async () => {
    const lock = path.join(tempDir('balloon-lock-'), 'lock');
    const events: string[] = [];
    const job = (name: string) =>
      withLock(lock, 'test', async () => {
        events.push(`${name}:start`);
        await new Promise((r) => setTimeout(r, 50));
        events.push(`${name}:end`);
      });
    await Promise.all([job('a'), job('b')]);
    expect(events[1]).toBe(`${events[0]!.split(':')[0]}:end`);
    expect(events).toHaveLength(4);
  });
});
