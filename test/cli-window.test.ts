import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { expectGolden } from './golden';
import { runCli, useCdkJson, writeCdkJson } from './cli-harness';

let repo: ReturnType<typeof useCdkJson>;
beforeEach(() => {
  repo = useCdkJson({ pipelineName: 'Tollgate' });
});
afterEach(() => repo.restore());

describe('tollgate window', () => {
  test('closed on a holiday: why, and when it next opens; exit 1', async () => {
    expect(await runCli(['window', '--at', '2026-11-26T10:00:00-05:00'])).toEqual({
      code: 1,
      out: ['closed at 2026-11-26T10:00:00-05:00', '  - holiday: Thanksgiving Day (US)', 'next opening: 2026-11-30T09:00:00-05:00'],
      err: [],
    });
  });

  test('open: when it closes; exit 0', async () => {
    expect(await runCli(['window', '--at', '2026-11-19T15:59:00-05:00'])).toEqual({
      code: 0,
      out: ['open at 2026-11-19T15:59:00-05:00', 'closes at 2026-11-19T16:00:00-05:00'],
      err: [],
    });
  });

  test('--json prints the envelope: open, reasons and nextOpen, instants in UTC', async () => {
    const { code, out } = await runCli(['window', '--at', '2026-11-20T08:59:00-05:00', '--json']);
    expect(code).toBe(1);
    expect(JSON.parse(out.join('\n'))).toEqual({ command: 'window', result: { open: false, at: '2026-11-20T13:59:00Z', reasons: ['Friday'], nextOpen: '2026-11-23T14:00:00Z' } });

    const open = await runCli(['window', '--at', '2026-11-19T15:59:00-05:00', '--json']);
    expect(open.code).toBe(0);
    expect(JSON.parse(open.out.join('\n')).result).toEqual({ open: true, at: '2026-11-19T20:59:00Z', reasons: [], closesAt: '2026-11-19T21:00:00Z' });
  });

  test('text output (golden file)', async () => {
    const { out } = await runCli(['window', '--at', '2026-11-20T08:59:00-05:00']);
    expectGolden('window', out);
  });

  test('without --at it asks about now', async () => {
    const { code, out } = await runCli(['window', '--json'], new Date('2026-11-24T15:00:00Z'));
    expect(code).toBe(0);
    expect(JSON.parse(out.join('\n')).result.at).toBe('2026-11-24T15:00:00Z');
  });

  test('reads the calendar from cdk.json, also from a subdirectory; a local --at is read in its time zone', async () => {
    writeCdkJson(repo.dir, { calendar: { timezone: 'Europe/Berlin', holidays: { country: 'DE', region: 'BY' }, weekdays: [1, 2, 3, 4, 5] } });
    mkdirSync(join(repo.dir, 'cli'));
    process.chdir(join(repo.dir, 'cli'));
    // Corpus Christi (Thursday 2026-06-04) is public in Bavaria; a Friday is fine in this calendar.
    expect((await runCli(['window', '--at', '2026-06-04T10:00'])).out).toEqual([
      'closed at 2026-06-04T10:00:00+02:00',
      '  - holiday: Fronleichnam (DE-BY)',
      'next opening: 2026-06-05T09:00:00+02:00',
    ]);
  });

  test.each([
    ['tomorrow'],
    [''],
    ['2026-11-27'],
    ['2026-02-30T10:00:00Z'],
    ['2026-11-27T25:00'],
    ['2026-11-27T08:59+5'],
    ['1764251940'],
  ])('bad --at %j: exit 2 with a message naming the value', async (value) => {
    const { code, out, err } = await runCli(['window', '--at', value]);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toEqual([
      `tollgate: --at must be an ISO-8601 time like 2026-11-27T08:59:00-05:00, or a local time like 2026-11-27T08:59 (America/New_York), got ${JSON.stringify(value)}`,
    ]);
  });

  test('--at without a value is a usage error (exit 2)', async () => {
    const { code, err } = await runCli(['window', '--at']);
    expect(code).toBe(2);
    expect(err.join('\n')).toContain("option '--at <time>' argument missing");
  });

  test('bad configuration: exit 2 with the configuration message', async () => {
    writeCdkJson(repo.dir, { calendar: { timezone: 'Mars/Olympus_Mons' } });
    expect(await runCli(['window'])).toEqual({
      code: 2,
      out: [],
      err: ['tollgate: invalid configuration: calendar.timezone must be an IANA time zone like "America/New_York", got "Mars/Olympus_Mons" (from cdk.json)'],
    });
    writeCdkJson(repo.dir, { calendar: { weekdays: [] } });
    expect((await runCli(['window'])).err).toEqual([
      'tollgate: invalid configuration: calendar.weekdays must list at least one ISO weekday (1 = Monday … 7 = Sunday), got [] (from cdk.json)',
    ]);
  });

  test('an unreadable cdk.json, or none at all: exit 2', async () => {
    writeFileSync(join(repo.dir, 'cdk.json'), '{ "context": ');
    const broken = await runCli(['window']);
    expect(broken.code).toBe(2);
    expect(broken.err[0]).toMatch(/^tollgate: cannot read .*cdk\.json: /);

    process.chdir('/');
    expect(await runCli(['window'])).toEqual({ code: 2, out: [], err: ['tollgate: no cdk.json in / or above it: run tollgate inside the Tollgate repository'] });
  });

  test("--with-freezes also applies on-call's run-time freezes from SSM", async () => {
    const sts = mockClient(STSClient);
    const ssm = mockClient(SSMClient);
    try {
      sts.on(GetCallerIdentityCommand).resolves({ Account: '111111111111', Arn: 'arn:aws:sts::111111111111:assumed-role/OnCall/bob' });
      const freezes = [{ name: 'incident', reason: 'INC-42', by: 'arn:aws:sts::111111111111:assumed-role/OnCall/alice', at: '2026-11-23T08:00:00-05:00', end: '2026-11-24T12:00:00-05:00' }];
      ssm.on(GetParameterCommand, { Name: '/tollgate/Tollgate/freezes' }).resolves({ Parameter: { Value: JSON.stringify(freezes) } });
      expect((await runCli(['window', '--at', '2026-11-23T10:00:00-05:00'])).code).toBe(0);
      expect(await runCli(['window', '--at', '2026-11-23T10:00:00-05:00', '--with-freezes'])).toEqual({
        code: 1,
        out: ['closed at 2026-11-23T10:00:00-05:00', '  - freeze: incident until 2026-11-24T12:00:00-05:00', 'next opening: 2026-11-24T12:00:00-05:00'],
        err: [],
      });

      // Freezes that cannot be read: the calendar cannot decide, exit 2 (not "closed").
      ssm.on(GetParameterCommand, { Name: '/tollgate/Tollgate/freezes' }).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException' }));
      const undecided = await runCli(['window', '--with-freezes', '--json']);
      expect(undecided.code).toBe(2);
      expect(JSON.parse(undecided.out.join('\n'))).toEqual({
        command: 'window',
        result: null,
        error: { message: 'cannot decide: the run-time freezes cannot be read (cannot read /tollgate/Tollgate/freezes: AccessDeniedException: not authorized)', exitCode: 2 },
      });
    } finally {
      sts.restore();
      ssm.restore();
    }
  });
});
