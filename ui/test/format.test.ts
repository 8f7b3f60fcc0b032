import { describe, expect, it } from 'vitest';
import { fileName, formatBytes, formatRate, percent } from '../src/format';

describe('formatBytes', () => {
  it('keeps small counts in bytes and scales by 1024', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1024)).toBe('1.0 KiB');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(5 * 1024 * 1024)).toBe('5.0 MiB');
    expect(formatBytes(150 * 1024 * 1024)).toBe('150 MiB');
    expect(formatBytes(3 * 1024 ** 4)).toBe('3.0 TiB');
  });

  it('does not pretend to know a negative or missing size', () => {
    expect(formatBytes(-1)).toBe('—');
    expect(formatBytes(Number.NaN)).toBe('—');
  });

  it('formats rates per second', () => {
    expect(formatRate(2048.4)).toBe('2.0 KiB/s');
  });
});

describe('fileName', () => {
  it('takes the last component of POSIX and Windows paths', () => {
    expect(fileName('/home/me/photos/a.jpg')).toBe('a.jpg');
    expect(fileName('C:\\Users\\me\\b.png')).toBe('b.png');
    expect(fileName('/home/me/folder/')).toBe('folder');
    expect(fileName('plain.txt')).toBe('plain.txt');
  });
});

describe('percent', () => {
  it('floors so that only a finished upload shows 100', () => {
    expect(percent(999, 1000)).toBe(99);
    expect(percent(1000, 1000)).toBe(100);
    expect(percent(5, 0)).toBe(0);
    expect(percent(2000, 1000)).toBe(100);
  });
});
