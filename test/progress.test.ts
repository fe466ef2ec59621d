import { HEARTBEAT_MS, startProgress } from '../cli/progress';

beforeEach(() => jest.useFakeTimers({ now: new Date('2026-11-22T10:30:00Z') }));
afterEach(() => jest.useRealTimers());

function context(terminal?: (text: string) => void) {
  const err: string[] = [];
  return { err, ctx: { err: (line: string) => err.push(line), now: () => new Date(), terminal } };
}

test('off a terminal: a heartbeat every 30 s, then how long it took', () => {
  const { err, ctx } = context();
  const progress = startProgress(ctx, 'deploying alice-Service');
  jest.advanceTimersByTime(HEARTBEAT_MS - 1);
  expect(err).toEqual([]);
  jest.advanceTimersByTime(4 * HEARTBEAT_MS + 1);
  jest.advanceTimersByTime(12_000);
  progress.done('deployed alice-Service');
  jest.advanceTimersByTime(10 * HEARTBEAT_MS);
  expect(err).toEqual([
    'still deploying alice-Service: 30 s',
    'still deploying alice-Service: 1 min',
    'still deploying alice-Service: 1 min 30 s',
    'still deploying alice-Service: 2 min',
    'still deploying alice-Service: 2 min 30 s',
    'deployed alice-Service in 2 min 42 s',
  ]);
});

test('on a terminal: a spinner redrawn in place with the elapsed time, cleared before the last line', () => {
  const drawn: string[] = [];
  const { err, ctx } = context((text) => drawn.push(text));
  const progress = startProgress(ctx, 'deleting alice-Service');
  jest.advanceTimersByTime(1_000);
  progress.failed('deleting alice-Service failed');
  expect(drawn).toEqual([...['⠋', '⠙', '⠹', '⠸'].map((f) => `\r\x1b[2K${f} deleting alice-Service: 1 s`), '\r\x1b[2K']);
  expect(err).toEqual(['deleting alice-Service failed after 1 s']);
});

test('on a terminal another process draws on: no spinner, no heartbeat, only the last line', () => {
  const drawn: string[] = [];
  const { err, ctx } = context((text) => drawn.push(text));
  const progress = startProgress(ctx, 'deploying sandbox alice', { sharesTerminal: true });
  jest.advanceTimersByTime(5 * 60_000);
  progress.done('deployed sandbox alice');
  expect(drawn).toEqual([]);
  expect(err).toEqual(['deployed sandbox alice in 5 min']);
});
