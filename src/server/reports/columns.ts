// CSV columns of the reports, named in English and Japanese (`header=ja` for 日本語 headers). Each
// report's list is here so docs/reports.md and the files agree; a test holds them to the docs.

import { z } from 'zod';

export const HEADER_LANGUAGES = ['en', 'ja'] as const;
export type HeaderLanguage = (typeof HEADER_LANGUAGES)[number];

export const headerQuery = {
  header: z.enum(HEADER_LANGUAGES).default('en').meta({ description: 'CSV header language' }),
};

export type Columns = readonly (readonly [en: string, ja: string])[];

export function header(columns: Columns, language: HeaderLanguage): string[] {
  return columns.map(([en, ja]) => (language === 'ja' ? ja : en));
}

export const EVENT_COLUMNS: Columns = [
  ['time', '日時'],
  ['type', '種別'],
  ['result', '結果'],
  ['reason', '理由'],
  ['warnings', '警告'],
  ['alarm', 'アラーム'],
  ['person_id', '利用者ID'],
  ['person_name', '氏名'],
  ['credential', '認証情報'],
  ['door_id', '扉ID'],
  ['door_name', '扉名'],
  ['side', '方向'],
  ['area', 'エリア'],
  ['controller', '制御装置'],
  ['seq', '連番'],
];

/**
 * Attendance, one row per person and day, shaped for the CSV import of common attendance systems
 * (社員番号 + 日付 + 出勤 + 退勤): the person id is the employee code; times are HH:MM in the site's
 * time zone; a last out after midnight carries its own date.
 */
export const ATTENDANCE_COLUMNS: Columns = [
  ['employee_code', '社員番号'],
  ['name', '氏名'],
  ['department', '所属'],
  ['date', '日付'],
  ['clock_in', '出勤時刻'],
  ['clock_out_date', '退勤日付'],
  ['clock_out', '退勤時刻'],
  ['minutes_present', '在館時間(分)'],
  ['first_in_door', '入室扉'],
  ['last_out_door', '退室扉'],
];

export const ATTENDANCE_MONTH_COLUMNS: Columns = [
  ['employee_code', '社員番号'],
  ['name', '氏名'],
  ['department', '所属'],
  ['month', '年月'],
  ['days_present', '出勤日数'],
  ['minutes_present', '在館時間(分)'],
  ['first_day', '初日'],
  ['last_day', '最終日'],
];

export const MUSTER_COLUMNS: Columns = [
  ['status', '状況'],
  ['area_id', 'エリアID'],
  ['area_name', 'エリア名'],
  ['person_id', '利用者ID'],
  ['name', '氏名'],
  ['department', '所属'],
  ['since', '時刻'],
  ['door', '扉'],
];

export const OCCUPANCY_COLUMNS: Columns = [
  ['area_id', 'エリアID'],
  ['time', '日時'],
  ['inside', '在室人数'],
  ['peak', '最大人数'],
];

export const ZONE_ACCESS_COLUMNS: Columns = [
  ['time', '日時'],
  ['kind', '区分'],
  ['zone', '区域'],
  ['person_id', '利用者ID'],
  ['name', '氏名'],
  ['credential', '認証情報'],
  ['door_id', '扉ID'],
  ['door_name', '扉名'],
  ['reason', '理由'],
  ['controller', '制御装置'],
  ['seq', '連番'],
];

export const INCIDENT_COLUMNS: Columns = [
  ['person_id', '利用者ID'],
  ['name', '氏名'],
  ['department', '所属'],
  ['areas', 'エリア'],
  ['entered_at', '入室日時'],
  ['entered_door', '入室扉'],
  ['credential', '認証情報'],
  ['left_at', '退室日時'],
  ['left_door', '退室扉'],
  ['inside_at_start', '開始時在室'],
  ['inside_at_end', '終了時在室'],
];

export const INVENTORY_CREDENTIAL_COLUMNS: Columns = [
  ['credential_id', '認証情報ID'],
  ['credential', '認証情報'],
  ['type', '種類'],
  ['state', '状態'],
  ['person_id', '利用者ID'],
  ['name', '氏名'],
  ['department', '所属'],
  ['person_active', '在籍'],
  ['left_at', '退職日時'],
  ['valid_until', '有効期限'],
  ['last_used_at', '最終利用日時'],
  ['last_door', '最終利用扉'],
  ['created_at', '登録日時'],
];

export const INVENTORY_OPERATOR_COLUMNS: Columns = [
  ['kind', '区分'],
  ['id', 'ID'],
  ['name', '名前'],
  ['role', '権限'],
  ['last_login_at', '最終ログイン日時'],
  ['created_at', '登録日時'],
];

export const ACCESS_REVIEW_COLUMNS: Columns = [
  ['person_id', '利用者ID'],
  ['name', '氏名'],
  ['department', '所属'],
  ['active', '在籍'],
  ['door_id', '扉ID'],
  ['via', '経由'],
  ['level', 'アクセスレベル'],
  ['group', 'グループ'],
  ['schedule', 'スケジュール'],
  ['since', '付与日時'],
];

export const ACCESS_CHANGE_COLUMNS: Columns = [
  ['change', '変更'],
  ['person_id', '利用者ID'],
  ['name', '氏名'],
  ['door_id', '扉ID'],
  ['via', '経由'],
];
