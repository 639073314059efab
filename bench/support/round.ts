/** Rounds a figure for a bench's JSON (the measurement is not more precise than this). */
export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
