import { duration } from '@tollgate/constructs/lib/domain/duration';

const S = 1_000;
const MIN = 60 * S;
const H = 60 * MIN;
const D = 24 * H;

test('rounds durations up to the minute by default, in at most two neighbouring units', () => {
  expect(duration(1)).toBe('1 min');
  expect(duration(60 * MIN)).toBe('1 h');
  expect(duration(61 * MIN + 1)).toBe('1 h 2 min');
  expect(duration(90 * MIN)).toBe('1 h 30 min');
  expect(duration(3 * D + 4 * H + 17 * MIN)).toBe('3 d 5 h');
  expect(duration(20 * D)).toBe('20 d');
});

test('to the second for elapsed times', () => {
  expect(duration(45 * S, 's')).toBe('45 s');
  expect(duration(150 * S, 's')).toBe('2 min 30 s');
  expect(duration(4 * MIN + 12 * S, 's')).toBe('4 min 12 s');
  expect(duration(H + 2 * MIN + 3 * S, 's')).toBe('1 h 3 min');
});

test('rounding up carries into the larger unit', () => {
  expect(duration(59 * MIN + 30 * S)).toBe('1 h');
  expect(duration(23 * H + 59 * MIN + 1)).toBe('1 d');
  expect(duration(59 * S + 1, 's')).toBe('1 min');
});

test('nothing and less than nothing are zero', () => {
  expect(duration(0)).toBe('0 min');
  expect(duration(-5 * MIN, 's')).toBe('0 s');
});
