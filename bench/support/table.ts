/** Plain-text tables for the terminal: the first column left-aligned, the others right-aligned. */

export type Cell = string | number;

export interface Table {
  title: string;
  head: string[];
  rows: Cell[][];
  /** Lines printed under the table: what the figures mean, targets. */
  notes?: string[];
}

function format(cell: Cell): string {
  if (typeof cell === 'string') return cell;
  if (!Number.isFinite(cell)) return String(cell);
  return Number.isInteger(cell) ? cell.toLocaleString('en-US') : cell.toLocaleString('en-US', { maximumFractionDigits: 2 });
}

export function renderTable(table: Table): string {
  const cells = [table.head, ...table.rows.map((row) => row.map(format))];
  const widths = table.head.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const out = [table.title, line(cells[0]), rule, ...cells.slice(1).map(line)];
  for (const note of table.notes ?? []) out.push(`  ${note}`);
  return out.join('\n');
}
