/**
 * Readers for the rendered Markdown, strict enough to catch a broken table or chart: tables are
 * split on unescaped pipes as GitHub does, and charts are checked against Mermaid's xychart
 * grammar (numbers without exponents, quoted labels without quotes, one label per value).
 */

export interface Chart {
  title: string;
  labels: string[];
  values: number[];
}

const MERMAID_BLOCK = /```mermaid\n([\s\S]*?)\n```/g;
const MERMAID_NUMBER = /^[+-]?(?:\d+(?:\.\d+)?|\.\d+)$/;

/** Every `xychart-beta` block in the text; throws on anything the chart grammar would reject. */
export function mermaidCharts(markdown: string): Chart[] {
  return [...markdown.matchAll(MERMAID_BLOCK)].map((match) => parseChart(match[1]));
}

function parseChart(source: string): Chart {
  const lines = source.split('\n').map((line) => line.trim());
  if (lines[0] !== 'xychart-beta') throw new Error(`chart does not start with xychart-beta:\n${source}`);
  const title = /^title "([^"]*)"$/.exec(lines[1] ?? '');
  const xAxis = /^x-axis \[(.*)\]$/.exec(lines[2] ?? '');
  const line = /^line \[(.*)\]$/.exec(lines[4] ?? '');
  if (!title || !xAxis || lines[3] !== 'y-axis "value"' || !line || lines.length !== 5) {
    throw new Error(`chart is not title, x-axis, y-axis "value", line:\n${source}`);
  }
  const labels = xAxis[1].split(', ').map((label) => {
    const quoted = /^"([^"]+)"$/.exec(label);
    if (!quoted) throw new Error(`x-axis label ${label} is not a quoted string`);
    return quoted[1];
  });
  const values = line[1].split(', ').map((value) => {
    if (!MERMAID_NUMBER.test(value)) throw new Error(`line value ${value} is not a number Mermaid reads`);
    return Number(value);
  });
  if (labels.length !== values.length) throw new Error(`${labels.length} labels for ${values.length} values`);
  if (new Set(labels).size !== labels.length) throw new Error(`x-axis labels repeat: ${labels.join(', ')}`);
  return { title: title[1], labels, values };
}

/** The rows of the table whose header row starts with `firstHeader`, as cells, header included. */
export function tableRows(markdown: string, firstHeader: string): string[][] {
  const lines = markdown.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`| ${firstHeader} |`));
  if (start < 0) throw new Error(`no table with header ${firstHeader}`);
  const rows: string[][] = [];
  for (let i = start; i < lines.length && lines[i].startsWith('|'); i++) {
    if (i === start + 1) continue; // the delimiter row
    rows.push(splitRow(lines[i]));
  }
  const width = rows[0].length;
  for (const row of rows) if (row.length !== width) throw new Error(`row has ${row.length} cells, header ${width}: ${row.join(' | ')}`);
  return rows;
}

/** Cells of a GitHub table row: split on pipes not escaped by a backslash. */
function splitRow(line: string): string[] {
  return line
    .replace(/^\|/, '')
    .replace(/(?<!\\)\|$/, '')
    .split(/(?<!\\)\|/)
    .map((cell) => cell.trim());
}

/** The fenced `promql` blocks of the text, their content only. */
export function promqlBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/(`{3,})promql\n([\s\S]*?)\n\1/g)].map((match) => match[2]);
}
