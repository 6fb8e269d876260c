import { PNG } from 'pngjs';

/** A decoded PNG: its size and its pixels, read as colours. */
export interface Picture {
  width: number;
  height: number;
  /** [r, g, b] at a pixel. */
  at(x: number, y: number): [number, number, number];
}

export function decodePng(bytes: Uint8Array): Picture {
  const png = PNG.sync.read(Buffer.from(bytes));
  return {
    width: png.width,
    height: png.height,
    at(x, y) {
      const i = (Math.round(y) * png.width + Math.round(x)) * 4;
      return [png.data[i] ?? 0, png.data[i + 1] ?? 0, png.data[i + 2] ?? 0];
    },
  };
}

export const isReddish = ([r, g, b]: [number, number, number]) => r > 150 && r > g + 60 && r > b + 60;
export const isBluish = ([r, g, b]: [number, number, number]) => b > 150 && b > r + 60;

/** How many pixels of a column, within a row range, satisfy `test`. */
export function countInColumn(p: Picture, x: number, y0: number, y1: number, test: (c: [number, number, number]) => boolean): number {
  let n = 0;
  for (let y = y0; y <= y1; y++) if (test(p.at(x, y))) n++;
  return n;
}
