// The weekly grid: one row per weekday, one cell per half hour. Mouse: press and drag to paint.
// Keyboard: the grid is one Tab stop; arrow keys move, Home/End jump within the day, Space or Enter
// toggles a cell, Shift+arrow paints as it moves. Each cell's name says day, time and state.
import { type KeyboardEvent, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { SLOTS, slotLabel, WEEKDAYS, type Weekday } from '../../lib/week-grid.ts';

export function WeekGridEditor({
  cells,
  onChange,
  label,
}: {
  cells: Record<Weekday, boolean[]>;
  onChange: (cells: Record<Weekday, boolean[]>) => void;
  label: string;
}) {
  const { t } = useTranslation();
  const [focus, setFocus] = useState<[number, number]>([0, 18]);
  const painting = useRef<boolean | undefined>(undefined);
  const table = useRef<HTMLTableElement>(null);

  const set = (day: number, slot: number, value: boolean) => {
    const weekday = WEEKDAYS[day]!;
    if (cells[weekday][slot] === value) return;
    const row = [...cells[weekday]];
    row[slot] = value;
    onChange({ ...cells, [weekday]: row });
  };
  const focusCell = (day: number, slot: number) => {
    setFocus([day, slot]);
    table.current?.querySelector<HTMLButtonElement>(`[data-cell="${day}-${slot}"]`)?.focus();
  };

  const onKeyDown = (event: KeyboardEvent, day: number, slot: number) => {
    const moves: Record<string, [number, number]> = {
      ArrowLeft: [day, Math.max(0, slot - 1)],
      ArrowRight: [day, Math.min(SLOTS - 1, slot + 1)],
      ArrowUp: [Math.max(0, day - 1), slot],
      ArrowDown: [Math.min(6, day + 1), slot],
      Home: [day, 0],
      End: [day, SLOTS - 1],
    };
    const to = moves[event.key];
    if (to) {
      event.preventDefault();
      if (event.shiftKey) set(to[0], to[1], cells[WEEKDAYS[day]!][slot] === true);
      focusCell(to[0], to[1]);
    } else if (event.key === ' ' || event.key === 'Enter') {
      event.preventDefault();
      set(day, slot, !cells[WEEKDAYS[day]!][slot]);
    }
  };

  return (
    <div className="table-wrap">
      <table
        className="week-grid"
        ref={table}
        aria-label={label}
        onPointerUp={() => (painting.current = undefined)}
        onPointerLeave={() => (painting.current = undefined)}
      >
        <thead>
          <tr>
            <td />
            {Array.from({ length: SLOTS }, (_, slot) => (
              <th key={slotLabel(slot)} scope="col" aria-label={slotLabel(slot)}>
                {slot % 4 === 0 ? String(slot / 2).padStart(2, '0') : ''}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {WEEKDAYS.map((weekday, day) => (
            <tr key={weekday}>
              <th scope="row">{t(`weekday.${weekday}`)}</th>
              {cells[weekday].map((on, slot) => (
                <td key={slotLabel(slot)}>
                  <button
                    type="button"
                    className="week-cell"
                    data-cell={`${day}-${slot}`}
                    aria-pressed={on}
                    aria-label={`${t(`weekday.${weekday}`)} ${slotLabel(slot)}`}
                    tabIndex={focus[0] === day && focus[1] === slot ? 0 : -1}
                    onKeyDown={(e) => onKeyDown(e, day, slot)}
                    onFocus={() => setFocus([day, slot])}
                    onPointerDown={(e) => {
                      e.preventDefault();
                      painting.current = !on;
                      set(day, slot, !on);
                      focusCell(day, slot);
                    }}
                    onPointerEnter={() => {
                      if (painting.current !== undefined) set(day, slot, painting.current);
                    }}
                  />
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">{t('schedules.gridHelp')}</p>
    </div>
  );
}
