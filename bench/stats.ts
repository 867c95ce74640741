// Latency statistics and report formatting shared by the benchmarks.

export type Progress = (message: string) => void;

export interface LatencyStats {
  samples: number;
  /** microseconds */
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

export function latencyStats(samplesUs: Float64Array): LatencyStats {
  const sorted = Float64Array.from(samplesUs).sort();
  const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? Number.NaN;
  return {
    samples: sorted.length,
    p50: q(0.5),
    p99: q(0.99),
    p999: q(0.999),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

export function fmt(n: number, digits = 2): string {
  if (!Number.isFinite(n)) return String(n);
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

/** A plain-text table: first row is the header. */
export function table(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows
    .map((r, i) => {
      const line = r
        .map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!)))
        .join('  ');
      return i === 0 ? `${line}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` : line;
    })
    .join('\n');
}

export function verdict(ok: boolean): string {
  return ok ? 'met' : 'MISSED';
}
