import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseCompiler } from '../../../src/harness/compiler.js';
import { checkConfig, describeMismatch, parseConfig } from '../../../src/harness/kernel-config.js';
import { kernelPatchDir } from '../../../src/harness/paths.js';

describe('config fragment check', () => {
  const fragment = parseConfig('CONFIG_SWAP=y\n# CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS is not set\nCONFIG_LOCALVERSION="-balloon"\n');

  it('accepts a .config that has every option as asked', () => {
    const final = parseConfig('CONFIG_SWAP=y\nCONFIG_LOCALVERSION="-balloon"\n# CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS is not set\nCONFIG_OTHER=m\n');
    expect(checkConfig(fragment, final)).toEqual([]);
  });

  it('reports options that olddefconfig dropped or changed', () => {
    const final = parseConfig('CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y\nCONFIG_LOCALVERSION=""\n');
    const mismatches = checkConfig(fragment, final).map(describeMismatch);
    expect(mismatches).toEqual([
      'CONFIG_SWAP wanted y, got not set',
      'CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS wanted not set, got y',
      'CONFIG_LOCALVERSION wanted "-balloon", got ""',
    ]);
  });

  it('refuses lines that are not Kconfig', () => {
    expect(() => parseConfig('SWAP=y')).toThrow(/not a Kconfig line/);
  });

  it("the project's fragment asks for what the agent needs", async () => {
    const ours = parseConfig(await readFile(path.join(kernelPatchDir, 'balloon.config'), 'utf8'));
    for (const symbol of ['CONFIG_SWAP', 'CONFIG_IDLE_PAGE_TRACKING', 'CONFIG_PROC_PAGE_MONITOR', 'CONFIG_TRANSPARENT_HUGEPAGE', 'CONFIG_TRANSPARENT_HUGEPAGE_MADVISE', 'CONFIG_DEVTMPFS', 'CONFIG_EXT4_FS', 'CONFIG_VIRTIO_BLK', 'CONFIG_VIRTIO_NET']) {
      expect(ours.get(symbol), symbol).toBe('y');
    }
    expect(ours.get('CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS')).toBeNull();
  });
});

describe('compiler choice', () => {
  const gcc12 = { name: 'gcc', major: 12 };
  const gcc11 = { name: 'gcc-11', major: 11 };

  it('uses gcc-11 for 5.11.5, whose objtool gcc 12 cannot build', () => {
    expect(chooseCompiler('5.11.5', [gcc12, gcc11])).toEqual(gcc11);
    expect(chooseCompiler('5.11.5', [gcc12])).toBeUndefined();
  });

  it('uses the same compiler for Debian 5.10, so CI builds what users build', () => {
    expect(chooseCompiler('5.10.223', [gcc12, gcc11])).toEqual(gcc11);
  });

  it('uses the default gcc for newer kernels', () => {
    expect(chooseCompiler('6.1.0', [gcc11, gcc12])).toEqual(gcc12);
  });
});
