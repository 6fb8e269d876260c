import { z } from 'zod';
import { OpsError } from '../ops/ports';
import { formatBytes } from '../util/bytes';
import { diskLevel, usedPercent } from '../util/disk';
import { bold, html, lines, type Html } from '../util/html';
import { buttonRows, commandButton } from './buttons';
import { defineCommand } from './types';

export const disk = defineCommand({
  name: 'disk',
  aliases: ['df'],
  summary: "Disk usage of the host's volumes (80% / 90% thresholds) and what Docker takes",
  usage: '/disk',
  role: 'viewer',
  confirm: 'never',
  args: z.object({}),
  async run({ env }) {
    const { warn, critical } = env.catalog.estate.disk_thresholds;
    const volumes = await Promise.all(
      env.catalog.estate.disks.map(async (d): Promise<Html> => {
        try {
          const u = await env.disk.usage(d.path);
          const p = usedPercent(u);
          const mark = { critical: '🔴 critical', warning: '🟠 warning', ok: '🟢' }[diskLevel(p, { warn, critical })];
          return html`${mark} ${bold(d.label)}: ${p}% used · ${formatBytes(u.freeBytes)} free of ${formatBytes(u.totalBytes)}`;
        } catch (err) {
          return html`❓ ${bold(d.label)}: ${err instanceof OpsError ? `${err.message}. ${err.hint ?? ''}` : String(err)}`;
        }
      }),
    );
    const docker = await Promise.all(
      env.catalog.estate.docker_hosts.map(async (h): Promise<Html[]> => {
        const runtime = env.docker(h.name);
        if (!runtime) return [];
        let du;
        try {
          du = await runtime.diskUsage();
        } catch (err) {
          if (!(err instanceof OpsError)) throw err;
          return [bold(`Docker on ${h.name}`), html`⚠️ ${err.message}. ${err.hint ?? ''}`];
        }
        const row = (label: string, x: { count: number; bytes: number; reclaimable: number }) =>
          html`${label}: ${x.count} · ${formatBytes(x.bytes)}${x.reclaimable ? ` (${formatBytes(x.reclaimable)} reclaimable)` : ''}`;
        const reclaimable = du.images.reclaimable + du.containers.reclaimable + du.volumes.reclaimable + du.buildCache.reclaimable;
        return [
          bold(`Docker on ${h.name}`),
          row('Images', du.images),
          row('Containers', du.containers),
          row('Volumes', du.volumes),
          row('Build cache', du.buildCache),
          ...(reclaimable > 0 ? [html`<i>docker image prune -a / docker builder prune would free up to ${formatBytes(reclaimable)}</i>`] : []),
        ];
      }),
    );
    return {
      html: lines([
        ...(volumes.length ? [bold(`Volumes (warning at ${warn}%, critical at ${critical}%)`), ...volumes, html``] : [html`<i>No disks configured (disks: in the estate file).</i>`]),
        ...docker.flat(),
      ]),
      buttons: buttonRows([commandButton('🔄 Refresh', '/disk', 'edit')]),
    };
  },
});
