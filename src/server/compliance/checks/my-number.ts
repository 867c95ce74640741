// Live checks of the My Number zones (マイナンバー 管理区域 / 取扱区域): that zones are designated,
// and that their entrances take a second factor and are recorded (My Number guideline E a).

import { AreaTree } from '../../reports/common.ts';
import { reportDb } from '../../reports/tables.ts';
import { repositories } from '../../storage/index.ts';
import { all, type Check, type Localized, ratio, t, yesNo } from './kit.ts';

export const myNumberChecks = {
  async 'my-number-zones'(ctx) {
    const tree = await AreaTree.load(reportDb(ctx.store.db));
    const zones = tree.myNumberZones();
    const label = t(
      'マイナンバー管理区域・取扱区域の指定',
      'My Number management / handling zones designated',
    );
    if (zones.length === 0)
      return { status: 'warn', label, value: t('指定なし', 'none designated'), details: [] };
    const ja = (z: (typeof zones)[number]) =>
      `${z.id} (${z.myNumberZone === 'management' ? '管理区域' : '取扱区域'})`;
    const en = (z: (typeof zones)[number]) => `${z.id} (${z.myNumberZone})`;
    const management = zones.filter((z) => z.myNumberZone === 'management').length;
    return {
      status: 'pass',
      label,
      value: t(
        `管理区域 ${management}、取扱区域 ${zones.length - management}`,
        `${management} management, ${zones.length - management} handling`,
      ),
      details: [t(zones.map(ja).join(', '), zones.map(en).join(', '))],
    };
  },

  async 'my-number-doors'(ctx) {
    const tree = await AreaTree.load(reportDb(ctx.store.db));
    const label = t(
      'マイナンバー区域の入口は多要素認証・記録あり',
      'My Number zone entrances: second factor and recorded',
    );
    const zones = tree.myNumberZones();
    if (zones.length === 0) return { status: 'na', label, value: t('区域なし', 'no zone'), details: [] };
    const repos = repositories(ctx.store.db, ctx.installationKey);
    const doors = await all((cursor) => repos.doors.list({ cursor, limit: 1000 }));
    // An entrance crosses into a zone from outside it. Entering a 管理区域 needs a second factor
    // (the guideline's entry control); entering any zone must be recorded (a controller's door).
    const entrances = new Map<string, { door: (typeof doors)[number]; management: boolean }>();
    for (const z of zones) {
      const areas = tree.zone(z.id);
      const management = z.myNumberZone === 'management';
      for (const d of doors)
        if (areas.has(d.toArea) && !areas.has(d.fromArea))
          entrances.set(d.id, {
            door: d,
            management: management || entrances.get(d.id)?.management === true,
          });
    }
    const list = [...entrances.values()];
    if (list.length === 0)
      return {
        status: 'warn',
        label,
        value: t('入口の扉がありません', 'no door leads into a zone'),
        details: [],
      };
    // A second factor at the door: its own mode, and every mode a schedule can switch it to.
    const strong = (mode: string) => mode === 'card+pin' || mode === 'card+biometric' || mode === 'locked';
    const weak = list
      .filter((e) => e.management)
      .map((e) => e.door)
      .filter((d) => !strong(d.mode) || (d.rules?.scheduledModes ?? []).some((s) => !strong(s.mode)));
    const unrecorded = list.map((e) => e.door).filter((d) => d.controllerId === null);
    const ok = list.length - new Set([...weak, ...unrecorded].map((d) => d.id)).size;
    const details: Localized[] = [];
    if (weak.length)
      details.push(
        t(
          `多要素でない扉: ${weak.map((d) => `${d.id} (${d.mode})`).join(', ')}`,
          `doors without a second factor: ${weak.map((d) => `${d.id} (${d.mode})`).join(', ')}`,
        ),
      );
    if (unrecorded.length)
      details.push(
        t(
          `制御装置のない扉 (記録されない): ${unrecorded.map((d) => d.id).join(', ')}`,
          `doors without a controller (not recorded): ${unrecorded.map((d) => d.id).join(', ')}`,
        ),
      );
    return {
      status: ok === list.length ? 'pass' : 'fail',
      label,
      value: yesNo(ok === list.length, ratio(ok, list.length), ratio(ok, list.length)),
      count: { ok, total: list.length },
      details,
    };
  },
} satisfies Record<string, Check>;
