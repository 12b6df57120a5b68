// A small seeded PRNG (sfc32): same seed, same sequence, on every machine. Math.random has no seed.
export type Random = () => number;

export function seededRandom(...seeds: (string | number)[]): Random {
  // Mix the seeds into four 32-bit words (FNV-1a over the text), then warm up.
  const text = seeds.join('|');
  const words = [0x811c9dc5, 0x01000193, 0x9e3779b9, 0x85ebca6b];
  for (let i = 0; i < text.length; i++) {
    const w = i & 3;
    words[w] = Math.imul((words[w]! ^ text.charCodeAt(i)) >>> 0, 0x01000193) >>> 0;
  }
  let [a, b, c, d] = words as [number, number, number, number];
  const next = () => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 16; i++) next();
  return next;
}

/** A normally distributed value (Box-Muller). */
export function normal(random: Random, mean = 0, sd = 1): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** Index into `cumulative` (ascending, last = total) for a uniform draw. */
export function pickIndex(cumulative: Float64Array, random: Random): number {
  const x = random() * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

export function cumulativeOf(weights: number[]): Float64Array {
  const out = new Float64Array(weights.length);
  let sum = 0;
  weights.forEach((w, i) => (out[i] = sum += w));
  return out;
}
