// The demo site (issue 12): a Tokyo office with lobby turnstiles under anti-passback, an office floor
// on schedules, a server room behind an interlocked vestibule with the two-person rule, a My Number
// records room (card + PIN), a lab behind a route check, a fire zone and a meeting room for guests.
// Plain data in the shapes of the management API; `monban demo-site` writes it into a fresh server.

export const DEMO_CONTROLLERS = [
  { id: 'ctl-lobby', name: 'ロビー制御装置 / Lobby', site: 'tokyo', description: 'turnstiles and lab door' },
  {
    id: 'ctl-office',
    name: '執務室制御装置 / Office',
    site: 'tokyo',
    description: 'office, meeting room, My Number room',
  },
  {
    id: 'ctl-server',
    name: 'サーバ室制御装置 / Server room',
    site: 'tokyo',
    description: 'interlocked vestibule',
  },
] as const;

const area = (id: string, name: string, parentId: string, extra: Record<string, unknown> = {}) => ({
  id,
  name,
  parentId,
  site: 'tokyo',
  maxOccupancy: null,
  antipassback: null,
  offlineMode: 'local' as const,
  rules: null,
  ...extra,
});

export const DEMO_AREAS = [
  area('lobby', 'ロビー / Lobby', 'outside', {
    antipassback: { mode: 'hard', resetAt: '03:00' },
    rules: { fireZone: 'east' },
  }),
  area('office', '執務室 / Office floor', 'lobby', { rules: { fireZone: 'east' } }),
  area('meeting', '会議室 / Meeting room', 'lobby', { rules: { fireZone: 'east' } }),
  area('lab', '研究室 / Lab', 'lobby', { rules: { route: { requires: 'lobby' } } }),
  area('mynumber', 'マイナンバー管理区域 / My Number room', 'office', { maxOccupancy: 4 }),
  area('sr-vestibule', 'サーバ室前室 / Server vestibule', 'office'),
  area('server-room', 'サーバ室 / Server room', 'sr-vestibule', {
    offlineMode: 'deny',
    rules: { twoPerson: { withinSeconds: 30, requireGroup: 'it-admins' } },
  }),
];

const door = (
  id: string,
  name: string,
  fromArea: string,
  toArea: string,
  controllerId: string,
  extra: Record<string, unknown> = {},
) => ({
  id,
  name,
  fromArea,
  toArea,
  controllerId,
  mode: 'card',
  strikeSeconds: 5,
  heldOpenSeconds: 30,
  rules: null,
  ...extra,
});

export const DEMO_DOORS = [
  door('gate-1', 'ゲート1 / Turnstile 1', 'outside', 'lobby', 'ctl-lobby', { strikeSeconds: 3 }),
  door('gate-2', 'ゲート2 / Turnstile 2', 'outside', 'lobby', 'ctl-lobby', { strikeSeconds: 3 }),
  door('lab-door', '研究室扉 / Lab door', 'lobby', 'lab', 'ctl-lobby'),
  door('office-door', '執務室扉 / Office door', 'lobby', 'office', 'ctl-office', {
    rules: { scheduledModes: [{ schedule: 'core-hours', mode: 'unlocked' }] },
  }),
  door('meeting-door', '会議室扉 / Meeting room door', 'lobby', 'meeting', 'ctl-office', {
    heldOpenSeconds: 20,
  }),
  door('mynumber-door', 'マイナンバー室扉 / My Number room door', 'office', 'mynumber', 'ctl-office', {
    mode: 'card+pin',
  }),
  door('sr-outer', 'サーバ室 外扉 / Server outer door', 'office', 'sr-vestibule', 'ctl-server', {
    rules: { interlock: 'server-mantrap' },
  }),
  door('sr-inner', 'サーバ室 内扉 / Server inner door', 'sr-vestibule', 'server-room', 'ctl-server', {
    rules: { interlock: 'server-mantrap' },
  }),
];

/** The site: Tokyo time, and the Japanese public holidays from the maintained preset for every schedule. */
export const DEMO_SITE = {
  id: 'tokyo',
  name: '東京本社 / Tokyo head office',
  timezone: 'Asia/Tokyo',
  topic: 'tokyo',
  holidayCalendars: ['jp'],
};

export const DEMO_HOLIDAYS = [
  {
    id: 'jp',
    name: '日本の祝日 / Japanese public holidays',
    dates: [],
    preset: { name: 'jp', from: 2025, until: 2030 },
  },
];

const weekdays = (interval: string) =>
  Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, [interval]]));

export const DEMO_SCHEDULES = [
  {
    id: 'office-hours',
    name: '勤務時間 / Office hours',
    weekly: weekdays('07:00-22:00'),
    holidayIntervals: [],
    holidayCalendars: [],
    siteHolidays: true,
  },
  {
    id: 'core-hours',
    name: 'コアタイム / Core hours',
    weekly: weekdays('10:00-15:00'),
    holidayIntervals: [],
    holidayCalendars: [],
    siteHolidays: true,
  },
  {
    id: 'mynumber-hours',
    name: 'マイナンバー作業時間 / My Number hours',
    weekly: weekdays('09:00-18:00'),
    holidayIntervals: [],
    holidayCalendars: [],
    siteHolidays: true,
  },
];

export const DEMO_LEVELS = [
  { id: 'lobby-all', name: 'ロビー / Lobby', scheduleId: null, doors: ['gate-1', 'gate-2'] },
  {
    id: 'office',
    name: '執務室 / Office',
    scheduleId: 'office-hours',
    doors: ['office-door', 'meeting-door'],
  },
  {
    id: 'mynumber',
    name: 'マイナンバー室 / My Number room',
    scheduleId: 'mynumber-hours',
    doors: ['mynumber-door'],
  },
  { id: 'server-room', name: 'サーバ室 / Server room', scheduleId: null, doors: ['sr-outer', 'sr-inner'] },
  { id: 'lab', name: '研究室 / Lab', scheduleId: null, doors: ['lab-door'] },
  {
    id: 'meeting-guest',
    name: '来客 会議室 / Guest meeting room',
    scheduleId: null,
    doors: ['gate-1', 'gate-2', 'meeting-door'],
  },
];

export const DEMO_GROUPS = [
  { id: 'staff', name: '社員 / Staff', description: null, levels: ['lobby-all', 'office'] },
  {
    id: 'it-admins',
    name: '情報システム部 / IT admins',
    description: 'two of them open the server room',
    levels: ['server-room'],
  },
  {
    id: 'mynumber-staff',
    name: 'マイナンバー担当 / My Number staff',
    description: '取扱担当者',
    levels: ['mynumber'],
  },
  { id: 'lab-staff', name: '研究員 / Lab staff', description: null, levels: ['lab'] },
  { id: 'guests', name: '来客 / Guests', description: 'time-limited keys', levels: ['meeting-guest'] },
];

const FAMILY = [
  '佐藤',
  '鈴木',
  '高橋',
  '田中',
  '伊藤',
  '渡辺',
  '山本',
  '中村',
  '小林',
  '加藤',
  '吉田',
  '山田',
  '佐々木',
  '山口',
  '松本',
  '井上',
];
const GIVEN = [
  '健太',
  '美咲',
  '翔',
  '陽菜',
  '大輔',
  '結衣',
  '拓海',
  '花子',
  '直樹',
  '彩',
  '蓮',
  '葵',
  '誠',
  '真央',
  '悠斗',
  '凛',
];

export interface DemoPerson {
  id: string;
  name: string;
  department: string;
  groups: string[];
  card: string;
  pin?: string;
  /** a guest key's validity, relative to the demo's start, in hours */
  validHours?: [number, number];
}

/** Staff, two IT admins, My Number staff, lab staff, a tailgater and two guests (one expired). */
export function demoPeople(): DemoPerson[] {
  const people: DemoPerson[] = [];
  for (let i = 0; i < 16; i++) {
    const groups = ['staff'];
    let department = '営業部';
    if (i < 3) {
      groups.push('it-admins');
      department = '情報システム部';
    } else if (i < 5) {
      groups.push('mynumber-staff');
      department = '人事部';
    } else if (i < 8) {
      groups.push('lab-staff');
      department = '研究開発部';
    }
    people.push({
      id: `E-${String(1001 + i)}`,
      name: `${FAMILY[i]} ${GIVEN[i]}`,
      department,
      groups,
      card: `C-${String(1001 + i)}`,
      ...(groups.includes('mynumber-staff') && { pin: String(4800 + i) }),
    });
  }
  people.push({
    id: 'V-001',
    name: 'Guest Alex Smith',
    department: '来客',
    groups: ['guests'],
    card: 'K-9001',
    validHours: [-1, 8],
  });
  people.push({
    id: 'V-002',
    name: '来客 木村 様（期限切れ）',
    department: '来客',
    groups: ['guests'],
    card: 'K-9002',
    validHours: [-48, -24],
  });
  return people;
}

/** The tailgater: a member of staff who follows someone through a turnstile without presenting. */
export const TAILGATER = 'E-1016';
