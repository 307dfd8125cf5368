import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../local/cli/support.ts';

describe('kura support --duration', () => {
  it.each([
    ['90m', 90],
    ['90', 90],
    ['4h', 240],
    ['24h', 1440],
    ['1d', 1440],
  ])('reads %s as %i minutes', (text, minutes) => {
    // Act
    const parsed = parseDuration(text);

    // Assess
    expect(parsed).toBe(minutes);
  });

  it.each(['25h', '0m', '2d', 'soon', '-5m'])('refuses %s as a usage error', (text) => {
    // Act
    const attempt = () => parseDuration(text);

    // Assess
    expect(attempt).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
