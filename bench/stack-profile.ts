// `npm run bench:stack -- --cpu-prof`: CPU profiles of the server's process (the bench's own, with
// the agents elsewhere unless --controller-processes 0) during the sustained reads and during the
// door actions, through the inspector — only the phase, not the start-up and site build that
// `node --cpu-prof` would record too. Each phase writes a .cpuprofile (open it in Chrome DevTools
// or speedscope) and a .txt with the top functions by self and by total time.

import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export class PhaseProfiler {
  private session: Session | undefined;

  async start(): Promise<void> {
    this.session = new Session();
    this.session.connect();
    await this.session.post('Profiler.enable');
    await this.session.post('Profiler.start');
  }

  /** Stops, writes `<path>.cpuprofile` and `<path>.txt`; the summary is returned too. */
  async stop(path: string): Promise<string> {
    const session = this.session;
    if (!session) return '';
    this.session = undefined;
    const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
    session.disconnect();
    writeFileSync(`${path}.cpuprofile`, JSON.stringify(profile));
    const summary = summarize(profile);
    writeFileSync(`${path}.txt`, summary);
    return summary;
  }
}

const shortUrl = (url: string) => url.replace(/^file:\/\/.*?\/(node_modules|src|bench|scripts)\//, '$1/');

/** Top functions by self time and by total (inclusive, counted once per stack) time. */
export function summarize(profile: Profile, top = 30): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const frame = (n: ProfileNode) =>
    `${n.callFrame.functionName || '(anonymous)'} ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  // A native function (no url: a SQLite statement's run, a socket's writev) says little alone: it
  // is named with the JavaScript function that called it.
  const key = (n: ProfileNode): string => {
    if (n.callFrame.url !== '' || n.callFrame.functionName.startsWith('(')) return frame(n);
    const caller = byId.get(parent.get(n.id) ?? -1);
    return `${n.callFrame.functionName} ← ${caller ? frame(caller) : '?'}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const us = profile.timeDeltas[i] ?? 0;
    all += us;
    const node = byId.get(id)!;
    self.set(key(node), (self.get(key(node)) ?? 0) + us);
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const k = key(byId.get(at)!);
      if (seen.has(k)) continue;
      seen.add(k);
      total.set(k, (total.get(k) ?? 0) + us);
    }
  });
  const idle = [...self].filter(([k]) => k.startsWith('(idle)')).reduce((a, [, v]) => a + v, 0);
  const rows = (m: Map<string, number>) =>
    [...m]
      .filter(([k]) => !k.startsWith('(idle)') && !k.startsWith('(root)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(
        ([k, us]) =>
          `${(us / 1000).toFixed(0).padStart(8)} ms ${((100 * us) / all).toFixed(1).padStart(5)} %  ${k}`,
      );
  return [
    `${(all / 1000).toFixed(0)} ms sampled, ${((100 * (all - idle)) / Math.max(1, all)).toFixed(1)} % busy`,
    '',
    'self time:',
    ...rows(self),
    '',
    'total time:',
    ...rows(total),
    '',
  ].join('\n');
}
