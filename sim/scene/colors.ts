/** Named object colours, linear RGB in [0, 1]. */
export const COLORS = {
  red: [0.86, 0.12, 0.12],
  green: [0.15, 0.7, 0.2],
  blue: [0.12, 0.3, 0.9],
  yellow: [0.95, 0.85, 0.1],
  purple: [0.55, 0.2, 0.75],
  orange: [0.98, 0.5, 0.08],
  pink: [0.98, 0.45, 0.7],
  cyan: [0.1, 0.8, 0.85],
  white: [0.92, 0.92, 0.92],
  brown: [0.5, 0.3, 0.12],
  gray: [0.5, 0.5, 0.5],
} as const satisfies Record<string, readonly [number, number, number]>;

export type ColorName = keyof typeof COLORS;
export const COLOR_NAMES = Object.keys(COLORS) as ColorName[];
