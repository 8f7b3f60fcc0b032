/// <reference types="node" />
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// Vitest runs in ui/ (where its config is); happy-dom's import.meta.url is no file URL.
const tokens = readFileSync(`${process.cwd()}/src/styles/tokens.css`, 'utf8');

/** The colour tokens of one theme: the light block, or the dark block laid over it. */
function theme(dark: boolean): Map<string, string> {
  const block = (css: string) => new Map([...css.matchAll(/--([a-z-]+):\s*(#[0-9a-f]{6})/gi)].map((m) => [m[1]!, m[2]!]));
  const [light, darkPart] = tokens.split('@media (prefers-color-scheme: dark)');
  const colours = block(light!);
  if (dark) for (const [name, value] of block(darkPart!)) colours.set(name, value);
  return colours;
}

function luminance(hex: string): number {
  const channel = (i: number) => {
    const c = parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * channel(0) + 0.7152 * channel(1) + 0.0722 * channel(2);
}

function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Each text colour and the backgrounds it is drawn on (badges sit on `line`, the running one
 * on `accent-soft`). */
const PAIRS: [string, string[]][] = [
  ['text', ['bg', 'panel', 'line']],
  ['muted', ['bg', 'panel', 'line']],
  ['accent', ['bg', 'panel', 'accent-soft']],
  ['ok', ['bg', 'panel', 'line']],
  ['warn', ['bg', 'panel', 'line']],
  ['bad', ['bg', 'panel', 'line']],
  // The danger button: the panel's colour on the danger colour.
  ['panel', ['bad']],
];

describe('colour contrast', () => {
  for (const dark of [false, true]) {
    it(`keeps every text colour at 4.5:1 or more in the ${dark ? 'dark' : 'light'} theme`, () => {
      const colours = theme(dark);
      const low: string[] = [];
      for (const [text, backgrounds] of PAIRS) {
        for (const background of backgrounds) {
          const ratio = contrast(colours.get(text)!, colours.get(background)!);
          if (ratio < 4.5) low.push(`${text} on ${background}: ${ratio.toFixed(2)}`);
        }
      }
      expect(low).toEqual([]);
    });
  }
});
