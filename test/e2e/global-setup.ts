/**
 * Builds what the e2e suites boot (kernel and image, both cached by their
 * inputs) once per run, exactly as `npm run kernel:build` and `npm run
 * vm:image` do, and hands the records to the tests.
 */
import type { TestProject } from 'vitest/node';
import type { KernelArtefact } from '../../src/harness/kernel-build.js';
import { step } from '../../src/harness/log.js';
import { prepareVmArtefacts } from '../../src/harness/vm-artefacts.js';
import type { ImageArtefact } from '../../src/harness/vm-image.js';

declare module 'vitest' {
  export interface ProvidedContext {
    kernel: KernelArtefact;
    image: ImageArtefact;
  }
}

export default async function setup(project: TestProject): Promise<void> {
  const { kernel, image } = await prepareVmArtefacts(process.env.BALLOON_KERNEL_SOURCE);
  step('e2e', `kernel ${kernel.artefact.release} ${kernel.hit ? 'from the cache' : 'built'} in ${kernel.seconds.toFixed(1)} s`);
  step('e2e', `image ${image.hit ? 'from the cache' : 'built'} in ${image.seconds.toFixed(1)} s`);
  project.provide('kernel', kernel.artefact);
  project.provide('image', image.artefact);
}
