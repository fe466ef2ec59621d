import { CleanerInput, StackDescription, decideDeletions } from '../lambdas/sandbox-cleaner/select';
import { isoSeconds } from '@tollgate/constructs/lib/domain/iso-time';
import { expiryAfter, parseExpiry } from '../lambdas/shared/sandbox-tags';

const NOW = new Date('2026-11-22T12:00:00Z');
const SANDBOX_ACCOUNT = '444444444444';
const PROD_ACCOUNT = '333333333333';

function sandboxStack(name: string, expires: string | undefined, extra: Partial<StackDescription> = {}): StackDescription {
  const tags = [
    { Key: 'tollgate:sandbox', Value: name },
    { Key: 'tollgate:owner', Value: name },
    ...(expires === undefined ? [] : [{ Key: 'tollgate:expires', Value: expires }]),
  ];
  return { stackName: `${name}-Service`, status: 'UPDATE_COMPLETE', tags, ...extra };
}

function decide(stacks: StackDescription[], overrides: Partial<CleanerInput> = {}) {
  return decideDeletions({ stacks, now: NOW, account: SANDBOX_ACCOUNT, prodAccount: PROD_ACCOUNT, ...overrides });
}

function deleted(stacks: StackDescription[], overrides: Partial<CleanerInput> = {}): string[] {
  return decide(stacks, overrides)
    .verdicts.filter((v) => v.action === 'delete')
    .map((v) => v.stackName);
}

describe('the sandbox cleaner deletes', () => {
  test('a sandbox whose expiry has passed, and one expiring this very second', () => {
    expect(deleted([sandboxStack('alice', '2026-11-22T11:59:59Z'), sandboxStack('bob', '2026-11-22T12:00:00Z')])).toEqual([
      'alice-Service',
      'bob-Service',
    ]);
  });

  test('a sandbox whose earlier deletion failed (DELETE_FAILED), to try again', () => {
    expect(deleted([sandboxStack('alice', '2026-11-01T00:00:00Z', { status: 'DELETE_FAILED' })])).toEqual(['alice-Service']);
  });

  test('and says why', () => {
    expect(decide([sandboxStack('alice', '2026-11-21T00:00:00Z')]).verdicts).toEqual([
      { stackName: 'alice-Service', action: 'delete', reason: 'expired 2026-11-21T00:00:00Z', sandbox: 'alice' },
    ]);
  });
});

describe('the sandbox cleaner keeps', () => {
  test.each<[string, StackDescription, string]>([
    ['an unexpired sandbox (one second left)', sandboxStack('alice', '2026-11-22T12:00:01Z'), 'expires 2026-11-22T12:00:01Z'],
    ['a stack without any tag (the pipeline, dev)', { stackName: 'Dev-Service', status: 'UPDATE_COMPLETE', tags: [] }, 'not a sandbox: no tollgate:sandbox tag'],
    [
      'an expired-looking stack without the sandbox tag',
      { stackName: 'alice-Service', status: 'CREATE_COMPLETE', tags: [{ Key: 'tollgate:expires', Value: '2020-01-01T00:00:00Z' }] },
      'not a sandbox: no tollgate:sandbox tag',
    ],
    ['a stack whose tags could not be read', { stackName: 'alice-Service', status: 'CREATE_COMPLETE', tags: undefined }, 'tags unreadable'],
    [
      'a stack with a tag missing its value',
      { stackName: 'alice-Service', tags: [{ Key: 'tollgate:sandbox', Value: 'alice' }, { Key: 'tollgate:expires' }] },
      'tags malformed: a tag without key or value',
    ],
    [
      'a stack with contradicting sandbox tags',
      {
        stackName: 'alice-Service',
        tags: [
          { Key: 'tollgate:sandbox', Value: 'alice' },
          { Key: 'tollgate:sandbox', Value: 'bob' },
          { Key: 'tollgate:expires', Value: '2020-01-01T00:00:00Z' },
        ],
      },
      'tags malformed: tollgate:sandbox given twice',
    ],
    ['a sandbox without an expiry tag', sandboxStack('alice', undefined), 'no tollgate:expires tag'],
    ['a date-only expiry', sandboxStack('alice', '2026-11-01'), 'malformed tollgate:expires tag "2026-11-01"'],
    ['an expiry with an offset', sandboxStack('alice', '2026-11-01T00:00:00+01:00'), 'malformed tollgate:expires tag "2026-11-01T00:00:00+01:00"'],
    ['an impossible date', sandboxStack('alice', '2026-02-30T00:00:00Z'), 'malformed tollgate:expires tag "2026-02-30T00:00:00Z"'],
    ['an empty expiry', sandboxStack('alice', ''), 'malformed tollgate:expires tag ""'],
    [
      'a sandbox tag naming a reserved stage',
      { ...sandboxStack('dev', '2020-01-01T00:00:00Z'), stackName: 'dev-Service' },
      'malformed tollgate:sandbox tag "dev"',
    ],
    [
      'a sandbox tag that is no sandbox name',
      { stackName: 'Prod-Service', tags: [{ Key: 'tollgate:sandbox', Value: 'Prod' }, { Key: 'tollgate:expires', Value: '2020-01-01T00:00:00Z' }] },
      'malformed tollgate:sandbox tag "Prod"',
    ],
    // Even with an expiry someone added by hand: only the pipeline recreates or removes its own sandbox.
    ["the release pipeline's sandbox, Pipeline-Service", sandboxStack('Pipeline', '2020-01-01T00:00:00Z'), "the release pipeline's sandbox: the pipeline keeps it"],
    [
      'a tagged stack whose name is not the sandbox\'s',
      { ...sandboxStack('alice', '2020-01-01T00:00:00Z'), stackName: 'Dev-Service' },
      'name does not belong to sandbox alice',
    ],
    ['a nested stack (it goes with its root)', sandboxStack('alice', '2020-01-01T00:00:00Z', { parentId: 'arn:aws:cloudformation:…:stack/alice-Service/1' }), 'nested stack: deleted with its root stack'],
    ['a stack already being deleted', sandboxStack('alice', '2020-01-01T00:00:00Z', { status: 'DELETE_IN_PROGRESS' }), 'already DELETE_IN_PROGRESS'],
    [
      'an expired stack in the middle of an update (next run)',
      sandboxStack('alice', '2020-01-01T00:00:00Z', { status: 'UPDATE_IN_PROGRESS' }),
      'expired 2020-01-01T00:00:00Z but busy (UPDATE_IN_PROGRESS); next run',
    ],
  ])('%s', (_what, stack, reason) => {
    const { verdicts, refused } = decide([stack]);
    expect(refused).toBeUndefined();
    expect(verdicts).toHaveLength(1);
    expect(verdicts[0]).toMatchObject({ stackName: stack.stackName, action: 'keep', reason });
  });
});

describe('the sandbox cleaner refuses to delete anything', () => {
  const expired = [sandboxStack('alice', '2020-01-01T00:00:00Z'), sandboxStack('bob', '2020-01-01T00:00:00Z')];

  test('in the prod account, however expired the stacks look', () => {
    const decision = decide(expired, { account: PROD_ACCOUNT });
    expect(decision.refused).toBe('it runs in the prod account 333333333333');
    expect(decision.verdicts.map((v) => v.action)).toEqual(['keep', 'keep']);
  });

  test.each([
    [{ prodAccount: '' }, 'the prod account is not configured (got "")'],
    [{ prodAccount: 'undefined' }, 'the prod account is not configured (got "undefined")'],
    [{ account: '' }, 'cannot tell which account it runs in (got "")'],
  ])('when the accounts cannot be told apart (%j)', (overrides, refused) => {
    const decision = decide(expired, overrides);
    expect(decision.refused).toBe(refused);
    expect(decision.verdicts.every((v) => v.action === 'keep')).toBe(true);
  });
});

test('among many stacks, exactly the expired sandboxes are selected', () => {
  const stacks = [
    { stackName: 'CDKToolkit', status: 'UPDATE_COMPLETE', tags: [] },
    { stackName: 'Dev-Service', status: 'UPDATE_COMPLETE', tags: [] },
    sandboxStack('alice', '2026-11-20T00:00:00Z'),
    sandboxStack('bob', '2026-11-29T00:00:00Z'),
    sandboxStack('carol', undefined),
    sandboxStack('dave', '2026-11-22T00:00:00Z'),
  ];
  expect(deleted(stacks)).toEqual(['alice-Service', 'dave-Service']);
});

describe('expiry tag values', () => {
  test('expiryAfter counts whole days from now, to the second, in UTC', () => {
    expect(expiryAfter(new Date('2026-11-22T12:34:56.789Z'), 7)).toBe('2026-11-29T12:34:56Z');
    expect(isoSeconds(new Date('2026-03-29T01:00:00.000Z'))).toBe('2026-03-29T01:00:00Z');
  });

  test('parseExpiry reads exactly what expiryAfter writes and nothing else', () => {
    expect(parseExpiry('2026-11-29T12:34:56Z')?.toISOString()).toBe('2026-11-29T12:34:56.000Z');
    for (const bad of [undefined, '', '2026-11-29', '2026-11-29T12:34:56.000Z', '2026-11-29 12:34:56Z', '2026-13-01T00:00:00Z', 'tomorrow']) {
      expect(parseExpiry(bad)).toBeUndefined();
    }
  });
});
