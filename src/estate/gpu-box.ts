import type { Catalog } from '../config/catalog';
import type { Estate } from '../config/schema';
import { OpsError, type GpuHost } from '../ops/ports';

/** The GPU box and the bot's way to it, or what is missing (the box in the estate file, or the SSH key). */
export function reachGpuBox(catalog: Catalog, gpu: GpuHost | undefined): { box: NonNullable<Estate['gpu_box']>; gpu: GpuHost } | OpsError {
  const box = catalog.estate.gpu_box;
  if (!box) return new OpsError('invalid', 'no GPU box is configured', 'add gpu_box to the estate file');
  if (!gpu) return new OpsError('unreachable', `the GPU box ${box.name} is in the estate file, but the bot has no SSH key for it`, 'set GPU_SSH_KEY_PATH to the private key');
  return { box, gpu };
}
