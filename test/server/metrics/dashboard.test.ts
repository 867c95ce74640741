// The Grafana dashboard in docs/ stays true: every metric its queries name is one the server or a
// controller exports, and every label it filters or groups by is one that metric has.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ControllerMetrics } from '../../../src/controller/metrics.ts';
import { ServerMetrics } from '../../../src/server/metrics/server-metrics.ts';

const dashboard = JSON.parse(
  readFileSync(new URL('../../../docs/grafana/monban-dashboard.json', import.meta.url), 'utf8'),
) as { panels: { type: string; title: string; targets?: { expr: string }[] }[] };

/** name → label names, for every metric both registries export, histograms with their series. */
async function exported(): Promise<Map<string, Set<string>>> {
  const names = new Map<string, Set<string>>();
  const server = new ServerMetrics({ now: Date.now, processMetrics: true });
  const controller = new ControllerMetrics(Date.now, { processMetrics: false });
  for (const registry of [server.registry, controller.registry])
    for (const metric of registry.getMetricsAsArray()) {
      // prom-client's metric objects carry their type and label names
      const { name, type, labelNames } = metric as unknown as {
        name: string;
        type: string;
        labelNames: string[];
      };
      const histogram = type === 'histogram';
      const labels = new Set(['job', 'instance', ...labelNames, ...(histogram ? ['le'] : [])]);
      for (const suffix of histogram ? ['_bucket', '_count', '_sum'] : [''])
        names.set(`${name}${suffix}`, labels);
    }
  // the gauge of open alarms only exists with a database
  names.set('monban_alarms_open', new Set(['job', 'instance', 'state', 'severity']));
  return names;
}

describe('Grafana dashboard', () => {
  it('queries only metrics and labels Monban exports', async () => {
    const names = await exported();
    const queries = dashboard.panels.flatMap((p) =>
      (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
    );
    expect(queries.length).toBeGreaterThan(20);
    for (const { panel, expr } of queries) {
      const metrics = [...expr.matchAll(/\b(monban_[a-z_]+)(\{[^}]*\})?/g)];
      expect(metrics.length, `${panel}: ${expr}`).toBeGreaterThan(0);
      for (const [, name, selector] of metrics) {
        expect(names.has(name!), `${panel}: ${name} is not exported`).toBe(true);
        const used = [...(selector ?? '').matchAll(/([a-z_]+)\s*(=~|!=|=)/g)].map((m) => m[1]!);
        const by = [...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) =>
          m[1]!.split(',').map((s) => s.trim()),
        );
        for (const label of [...used, ...by])
          expect(names.get(name!)!.has(label), `${panel}: ${name} has no label ${label}`).toBe(true);
      }
    }
  });
});
