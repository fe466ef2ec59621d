import { trackFailures } from '@tollgate/constructs/lib/lambdas/bake-gate/gate-state';

const NOW = new Date('2026-03-10T11:00:00Z');
const EARLIER = new Date('2026-03-10T10:57:00Z');

describe('trackFailures: since when each read has been failing', () => {
  it.each<[string, [string, Date][], [string, boolean][], [string, Date][], string[], string[]]>([
    ['a new failure starts now', [], [['environment:dev', false]], [['environment:dev', NOW]], ['environment:dev'], []],
    ['a continuing failure keeps its start', [['environment:dev', EARLIER]], [['environment:dev', false]], [['environment:dev', EARLIER]], [], []],
    ['a recovery forgets the failure', [['environment:dev', EARLIER]], [['environment:dev', true]], [], [], ['environment:dev']],
    ['a source not read this time keeps its record', [['controls', EARLIER]], [['environment:dev', true]], [['controls', EARLIER]], [], []],
    ['a source that read before and reads again changes nothing', [], [['controls', true]], [], [], []],
    [
      'several sources at once',
      [['environment:dev', EARLIER], ['controls', EARLIER]],
      [['environment:dev', false], ['controls', true], ['environment:prod', false]],
      [['environment:dev', EARLIER], ['environment:prod', NOW]],
      ['environment:prod'],
      ['controls'],
    ],
  ])('%s', (_, previous, results, failingSince, started, recovered) => {
    const update = trackFailures(new Map(previous), new Map(results), NOW);
    expect(update.failingSince).toEqual(new Map(failingSince));
    expect(update.started).toEqual(started);
    expect(update.recovered).toEqual(recovered);
  });

  it('leaves the previous record untouched', () => {
    const previous = new Map([['environment:dev', EARLIER]]);
    trackFailures(previous, new Map([['environment:dev', true], ['controls', false]]), NOW);
    expect(previous).toEqual(new Map([['environment:dev', EARLIER]]));
  });
});
