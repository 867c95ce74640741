// Occupancy over time per area, for a chart: for each step of the window, how many people were inside
// the area (with everything inside it) at the step's start, and the most at once during the step.
// Counts only, no one named: it needs events:read, not people:read. Read from presence history.

import { z } from 'zod';
import { endpoint } from '../api/endpoint.ts';
import { idSchema } from '../api/schemas.ts';
import { formatCsvTime } from '../csv/times.ts';
import { ApiError } from '../http/errors.ts';
import { header, headerQuery, OCCUPANCY_COLUMNS } from './columns.ts';
import { AreaTree, checkWindow, csvQuery, idListQuery, siteZone, windowQuery } from './common.ts';
import { sendCsv } from './csv.ts';
import { type Stay, staysOverlapping } from './stays.ts';
import type { ReportDb } from './tables.ts';

const MAX_POINTS = 5000;

const occupancyQuery = {
  areas: idListQuery.meta({ description: 'one area or several, separated by commas' }),
  ...windowQuery,
  step: z.coerce.number().int().min(1).max(1440).default(15).meta({ description: 'minutes per point' }),
  site: idSchema.optional(),
};

export interface OccupancyPoint {
  at: number;
  inside: number;
  peak: number;
}

/** Points from stays (one person's stays never overlap: they are merged). */
export function series(
  stays: readonly Stay[],
  from: number,
  until: number,
  stepMs: number,
): OccupancyPoint[] {
  const changes: [number, number][] = [];
  for (const s of stays) {
    changes.push([Math.max(s.enteredAt, from), +1]);
    if (s.leftAt !== null && s.leftAt < until) changes.push([s.leftAt, -1]);
  }
  // At the same instant, exits first: someone passing through two doors at once is not counted twice.
  changes.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const points: OccupancyPoint[] = [];
  let inside = 0;
  let i = 0;
  for (let t = from; t < until; t += stepMs) {
    while (i < changes.length && changes[i]![0] <= t) inside += changes[i++]![1];
    let peak = inside;
    const point = { at: t, inside, peak };
    while (i < changes.length && changes[i]![0] < Math.min(t + stepMs, until)) {
      inside += changes[i++]![1];
      peak = Math.max(peak, inside);
    }
    point.peak = peak;
    points.push(point);
  }
  return points;
}

export async function occupancy(
  db: ReportDb,
  query: { areas: string[]; from: number; until: number; step: number },
): Promise<{ area: string; name: string; points: OccupancyPoint[] }[]> {
  checkWindow(query.from, query.until, 366);
  const stepMs = query.step * 60_000;
  if ((query.until - query.from) / stepMs > MAX_POINTS)
    throw new ApiError('INVALID_INPUT', `at most ${MAX_POINTS} points per area: take a longer step`, {
      field: 'query.step',
    });
  if (query.areas.length === 0)
    throw new ApiError('INVALID_INPUT', 'name at least one area', { field: 'query.areas' });
  const tree = await AreaTree.load(db);
  const out = [];
  for (const area of query.areas) {
    const stays = await staysOverlapping(db, tree.zone(area), query.from, query.until);
    out.push({
      area,
      name: tree.byId.get(area)!.name,
      points: series(stays, query.from, query.until, stepMs),
    });
  }
  return out;
}

const responseSchema = z
  .object({
    step: z.number().int().meta({ description: 'minutes per point' }),
    series: z.array(
      z.object({
        area: z.string(),
        name: z.string(),
        points: z.array(
          z.object({
            at: z.iso.datetime(),
            inside: z.number().int().meta({ description: 'inside at the start of the step' }),
            peak: z.number().int().meta({ description: 'the most inside at once during the step' }),
          }),
        ),
      }),
    ),
  })
  .meta({ id: 'OccupancyReport' });

export function occupancyReports(db: ReportDb) {
  return {
    json: endpoint({
      operationId: 'reportOccupancy',
      summary: 'Occupancy over time per area (series for a chart)',
      query: z.strictObject(occupancyQuery),
      response: responseSchema,
      async handle({ query }) {
        const result = await occupancy(db, query);
        return {
          step: query.step,
          series: result.map((s) => ({
            ...s,
            points: s.points.map((p) => ({ ...p, at: new Date(p.at).toISOString() })),
          })),
        };
      },
    }),
    csv: endpoint({
      operationId: 'reportOccupancyCsv',
      summary: 'Occupancy over time as CSV (UTF-8 with BOM or Shift_JIS)',
      query: z.strictObject({ ...occupancyQuery, ...csvQuery, ...headerQuery }),
      async handle({ query, reply }) {
        const result = await occupancy(db, query);
        const zone = await siteZone(db, query.site);
        return sendCsv(
          reply,
          'occupancy.csv',
          query.encoding,
          header(OCCUPANCY_COLUMNS, query.header),
          (async function* () {
            for (const s of result)
              yield s.points.map((p) => [s.area, formatCsvTime(p.at, zone), p.inside, p.peak]);
          })(),
        );
      },
    }),
  };
}
