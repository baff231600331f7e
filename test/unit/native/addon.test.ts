import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { AddonLoadError, addonCandidates, isAddonAvailable, loadAddonFrom } from '../../../src/kernel/index.js';
import { addonBuildInfo } from '../../../src/kernel/testing.js';
import { tempDir } from '../../support/temp-dir.js';

describe('native addon loading', () => {
  it('loads the addon built by npm ci, pinned to Node-API 8', () => {
    expect(isAddonAvailable()).toBe(true);
    // The tests load the build with the test helpers (vitest.config.ts); the production build comes next.
    expect(addonCandidates()[0]).toMatch(/build[/\\]Release[/\\]balloon_testing\.node$/);
    expect(addonCandidates()[1]).toMatch(/build[/\\]Release[/\\]balloon\.node$/);
    const info = addonBuildInfo();
    expect(info.napiVersion).toBe(8);
    expect(typeof info.haveUapiHeader).toBe('boolean');
    expect(info.sigballoonFromHeader).toBe(info.haveUapiHeader);
  });

  it('has test helpers only in the testing build: native/testing.cc is not in balloon.node', () => {
    const [testingBuild, production] = addonCandidates();
    expect('testing' in loadAddonFrom(testingBuild)).toBe(true);
    const prod = loadAddonFrom(production);
    expect('testing' in prod).toBe(false);
    expect(prod.napiVersion).toBe(8);
    expect(typeof prod.signalInstall).toBe('function');
  });

  it('says how to build it when it is missing', () => {
    const missing = path.join(tmpdir(), 'no-such-dir', 'balloon.node');
    let err: unknown;
    try {
      loadAddonFrom(missing);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(AddonLoadError);
    expect(err).toBeInstanceOf(TypeError);
    expect(err).toMatchObject({ code: 'ERR_BALLOON_ADDON_MISSING' });
    expect((err as Error).message).toContain('npm ci');
    expect((err as Error).message).toContain('npm run build:native');
  });

  it('says to rebuild when the file was built for another platform', () => {
    const dir = tempDir('balloon-addon-');
    // Not an ELF object at all (say, a Windows .node), and an ELF64 header for arm64.
    const windows = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(300)]);
    const arm64 = Buffer.alloc(264);
    arm64.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // \x7fELF, 64-bit, little-endian, v1
    arm64.writeUInt16LE(3, 16); // ET_DYN
    arm64.writeUInt16LE(183, 18); // EM_AARCH64
    arm64.writeUInt32LE(1, 20);
    for (const [name, bytes] of [['windows.node', windows], ['arm64.node', arm64]] as const) {
      const file = path.join(dir, name);
      writeFileSync(file, bytes);
      let err: unknown;
      try {
        loadAddonFrom(file);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(AddonLoadError);
      expect(err).toMatchObject({ code: 'ERR_BALLOON_ADDON_PLATFORM' });
      expect((err as Error).message).toMatch(/built for another platform/);
      expect((err as Error).message).toContain('npm run build:native');
    }
  });
});
