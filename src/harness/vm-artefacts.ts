/**
 * What a VM boots: the kernel and the image, built or taken from the cache by
 * their inputs, and recorded for vm:up, as `npm run kernel:build` and
 * `npm run vm:image` do. Shared by the demo, the benchmarks and the tests.
 */
import { buildKernel, recordKernel } from './kernel-build.js';
import { buildImage, recordImage } from './vm-image.js';
import { imageStateFile, kernelStateFile } from './vm-state.js';

/** `source` is a kernel source spec (see kernel:build --source); undefined picks the default. */
export async function prepareVmArtefacts(source?: string) {
  const kernel = await buildKernel(source ? { source } : {});
  await recordKernel(kernelStateFile(), kernel.artefact);
  const image = await buildImage();
  await recordImage(imageStateFile(), image.artefact);
  return { kernel, image };
}
