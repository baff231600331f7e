/**
 * Builds what the e2e suites boot (kernel and image, both cached by their
 * inputs) once per run, exactly as `npm run kernel:build` and `npm run
 * vm:image` do, and hands the records to the tests.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildKernel, recordKernel, type KernelArtefact } from '../../src/harness/kernel-build.js';
import { step } from '../../src/harness/log.js';
import { buildImage, type ImageArtefact } from '../../src/harness/vm-image.js';
import { imageStateFile, kernelStateFile } from '../../src/harness/vm-state.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kernel: KernelArtefact;
    image: ImageArtefact;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const source = process.env.BALLOON_KERNEL_SOURCE;
  const kernel = await buildKernel(source ? { source } : {});
  step('e2e', `kernel ${kernel.artefact.release} ${kernel.hit ? 'from the cache' : 'built'} in ${kernel.seconds.toFixed(1)} s`);
  await recordKernel(kernelStateFile(), kernel.artefact);
  const image = await buildImage();
  step('e2e', `image ${image.hit ? 'from the cache' : 'built'} in ${image.seconds.toFixed(1)} s`);
  await mkdir(path.dirname(imageStateFile()), { recursive: true });
  await writeFile(imageStateFile(), `${JSON.stringify(image.artefact, null, 2)}\n`);
  project.provide('kernel', kernel.artefact);
  project.provide('image', image.artefact);
}
