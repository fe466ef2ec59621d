import { ConfigError } from '@tollgate/constructs/lib/domain/config-error';
import { loadConfig } from '../cdk/config';
import { DERIVED_NAMES, PIPELINE_NAME_MAX_LENGTH } from '../cdk/pipeline-name';

const longest = 'P'.repeat(PIPELINE_NAME_MAX_LENGTH);
const tooLong = `${longest}x`;

test('the limit comes from the longest IAM role name: 64 - "-AlarmReader".length', () => {
  expect(PIPELINE_NAME_MAX_LENGTH).toBe(64 - '-AlarmReader'.length);
});

test.each(DERIVED_NAMES.map((d) => [d.what, d.name('<pipeline>'), d]))('the longest pipeline name leaves the %s %s within its limit', (_what, _example, derived) => {
  expect(derived.name(longest).length).toBeLessThanOrEqual(derived.maxLength);
});

test('one character more would make an IAM role name too long, so it is refused', () => {
  const overflowing = DERIVED_NAMES.filter((d) => d.name(tooLong).length > d.maxLength);
  expect(overflowing.map((d) => d.name(tooLong).slice(PIPELINE_NAME_MAX_LENGTH + 1))).toEqual(['-AlarmReader']);
  expect(() => loadConfig({ context: { pipelineName: tooLong } })).toThrow(ConfigError);
});

test.each(['Tollgate', 'a', 'shop_release-2', longest])('accepts %s', (name) => {
  expect(loadConfig({ context: { pipelineName: name } }).pipelineName).toBe(name);
});

test.each([
  // SNS topic names take neither "." nor "@" though IAM and CodePipeline do.
  ['Tollgate.v2'],
  ['ops@tollgate'],
  ['has space'],
  ['a/b'],
  [''],
  [tooLong],
  [42],
])('rejects %j with one line naming the field and the value', (name) => {
  const err = (() => {
    try {
      loadConfig({ context: { pipelineName: name } });
    } catch (e) {
      return e as ConfigError;
    }
    throw new Error('expected a ConfigError');
  })();
  expect(err).toBeInstanceOf(ConfigError);
  expect(err.field).toBe('pipelineName');
  expect(err.message).toBe(
    `invalid configuration: pipelineName must be 1-52 characters of A-Z a-z 0-9 _ - (it prefixes IAM role, SNS topic and SSM names), got ${JSON.stringify(name)} (from cdk.json)`,
  );
});

test('TOLLGATE_PIPELINE_NAME is checked the same way', () => {
  expect(() => loadConfig({ env: { TOLLGATE_PIPELINE_NAME: 'a.b' } })).toThrow(/pipelineName must be 1-52 characters .*, got "a.b" \(from TOLLGATE_PIPELINE_NAME\)$/);
});
