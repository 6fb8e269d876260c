import { statfs } from 'node:fs/promises';
import { OpsError, type DiskProbe, type FileSystemUsage } from '../ports';

/** Usage of a mounted path, as `df` reports it (free = blocks available to unprivileged users). */
export class StatfsDiskProbe implements DiskProbe {
  async usage(path: string): Promise<FileSystemUsage> {
    try {
      const s = await statfs(path);
      return { path, totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      throw new OpsError(code === 'ENOENT' ? 'not_found' : 'failed', `cannot read ${path} (${code})`, 'mount it into the bot\'s container (see disks: in the estate file)', { cause: err });
    }
  }
}
