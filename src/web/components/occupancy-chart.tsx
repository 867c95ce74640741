// Occupancy over time as a line chart (uPlot): one line per area, time on the axis in the site's
// zone. The chart is a picture for sighted users; its numbers are in the table beside it, which is
// what screen readers get (the chart has a summary as its label).
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import type { OccupancyReport } from '../hooks/api/reports.ts';

const COLOURS = ['#1f4e8c', '#a4161a', '#1d6b3a', '#8a5300', '#6b3fa0', '#00727a', '#444'];

export function OccupancyChart({
  report,
  timeZone,
  label,
  width = 900,
}: {
  report: OccupancyReport;
  timeZone: string;
  label: string;
  width?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || report.series.length === 0) return;
    const xs = (report.series[0]?.points ?? []).map((p) => Date.parse(p.at) / 1000);
    const data: uPlot.AlignedData = [xs, ...report.series.map((s) => s.points.map((p) => p.peak))];
    const plot = new uPlot(
      {
        width: Math.min(width, el.clientWidth || width),
        height: 300,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), timeZone),
        scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
        series: [
          {},
          ...report.series.map((s, i) => ({
            label: s.name,
            stroke: COLOURS[i % COLOURS.length],
            width: 2,
            dash: i % 2 === 1 ? [6, 3] : undefined,
          })),
        ],
        axes: [
          {},
          { label: '', values: (_u, ticks) => ticks.map((v) => (Number.isInteger(v) ? String(v) : '')) },
        ],
      },
      data,
      el,
    );
    return () => plot.destroy();
  }, [report, timeZone, width]);
  return <div ref={box} className="chart" role="img" aria-label={label} />;
}
