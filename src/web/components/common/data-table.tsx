// A plain, semantic table (caption, column headers): screen readers announce headers with each cell,
// and links or buttons in cells are reached with Tab like anywhere else.
import type { ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useMayWrite } from './page.tsx';

export interface Column<T> {
  key: string;
  header: string;
  cell: (row: T) => ReactNode;
  className?: string;
}

/** A table on a page the caller may only read shows no `actions` column (see Page's `write`). */
export function DataTable<T>({
  caption,
  columns: allColumns,
  rows,
  rowKey,
  empty,
}: {
  caption: string;
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  empty?: string;
}) {
  const { t } = useTranslation();
  const writable = useMayWrite();
  const columns = writable ? allColumns : allColumns.filter((c) => c.key !== 'actions');
  return (
    // A wide table scrolls sideways; the region is focusable so keyboard users can scroll it too.
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be reachable by keyboard
    <section className="table-wrap" aria-label={caption} tabIndex={0}>
      <table className="data-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.length === 0 ? (
            <tr>
              <td colSpan={columns.length} className="empty">
                {empty ?? t('common.none')}
              </td>
            </tr>
          ) : (
            rows.map((row) => (
              <tr key={rowKey(row)}>
                {columns.map((c) => (
                  <td key={c.key} className={c.className}>
                    {c.cell(row)}
                  </td>
                ))}
              </tr>
            ))
          )}
        </tbody>
      </table>
    </section>
  );
}
