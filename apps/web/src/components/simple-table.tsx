import type { ComponentChildren } from 'preact';

export interface Column<T> {
  label: string;
  cell: (row: T) => ComponentChildren;
}

// A plain table of rows; every cell is text or links (never HTML from the engines).
export function SimpleTable<T extends { id: string }>(props: {
  caption: string;
  rows: readonly T[];
  columns: Column<T>[];
  empty?: string;
}) {
  return (
    <section class="table-wrap" tabIndex={0} aria-label={props.caption}>
      <table class="data">
        <caption class="sr-only">{props.caption}</caption>
        <thead>
          <tr>
            {props.columns.map((c) => (
              <th key={c.label} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {props.rows.map((row) => (
            <tr key={row.id}>
              {props.columns.map((c) => (
                <td key={c.label}>{c.cell(row)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {props.rows.length === 0 ? <p class="empty">{props.empty ?? 'None.'}</p> : null}
    </section>
  );
}
