/** Text for a terminal: lines of at most {@link WIDTH} columns, wrapped at spaces. */

/** The widest line `plan` and `metrics` print. */
export const WIDTH = 100;

/** `text` in lines of at most `width` columns, broken at spaces (a longer word is cut). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ').flatMap((w) => w.match(new RegExp(`.{1,${width}}`, 'gu')) ?? [''])) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  return [...lines, line];
}

/** `text` after `lead` on the first line and under it, indented as deep, on the next ones. */
export function hanging(lead: string, text: string): string[] {
  const indent = ' '.repeat(lead.length);
  return wrap(text, WIDTH - lead.length).map((line, i) => `${i === 0 ? lead : indent}${line}`);
}
