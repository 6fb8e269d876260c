import { createRequire } from 'node:module';
import type { PictureRenderer } from '../ports';

/** The charts' typeface, shipped as an npm package so that no system fonts are needed (the image has none). */
const CHART_FONT_FAMILY = 'DejaVu Sans';

export function chartFontFiles(): string[] {
  const require = createRequire(import.meta.url);
  return [require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf'), require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf')];
}

export interface ResvgOptions {
  fontFiles?: string[];
  /**
   * A young-generation collection, asked for after each picture. resvg's pixel buffers live outside V8's heap, which
   * does not count them: without it each chart's ~2 MB stays until V8 collects for its own reasons (measured in
   * bench/render.ts: 200 charts left 470 MB; with it, 60 MB).
   */
  collect?: () => void;
}

/** SVG to PNG with resvg (Rust, prebuilt for each platform in the npm package): no system libraries, no browser. */
export class ResvgRenderer implements PictureRenderer {
  private readonly fontFiles: string[];

  constructor(private readonly o: ResvgOptions = {}) {
    this.fontFiles = o.fontFiles ?? chartFontFiles();
  }

  async png(svg: string): Promise<Uint8Array> {
    // Loaded on the first picture: a bot that never draws one does not carry the native library.
    const { Resvg } = await import('@resvg/resvg-js');
    const resvg = new Resvg(svg, { font: { fontFiles: this.fontFiles, loadSystemFonts: false, defaultFontFamily: CHART_FONT_FAMILY } });
    const png = new Uint8Array(resvg.render().asPng());
    if (this.o.collect) {
      // The native objects are released by their finalizers, which run after the collection, on a later turn.
      await new Promise((r) => setImmediate(r));
      this.o.collect();
    }
    return png;
  }
}

/** V8's collector as a function, without --expose-gc on the command line; undefined where the platform refuses. */
export async function youngCollector(): Promise<(() => void) | undefined> {
  try {
    const [{ setFlagsFromString }, { runInNewContext }] = await Promise.all([import('node:v8'), import('node:vm')]);
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as ((o?: { type: 'minor' | 'major' }) => void) | undefined;
    return gc ? () => gc({ type: 'minor' }) : undefined;
  } catch {
    return undefined;
  }
}
