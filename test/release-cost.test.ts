import { loadConfig } from '../cdk/config';
import { LIST_PRICES, NO_USAGE, addUsage, codeBuildCompute, formatDollars, priceTable, releaseCost } from '@tollgate/constructs/lib/domain/release-cost';

const P = LIST_PRICES.prices;

describe('the price table', () => {
  test('list prices name their region and date, and say they are unverified', () => {
    expect(priceTable()).toEqual({ prices: P, source: 'us-east-1 list prices as of June 2025, unverified', overridden: [] });
  });

  test("the configuration's prices replace the list prices one by one, and the source says which", () => {
    const { prices } = loadConfig({ context: { prices: { source: 'eu-west-1 list prices, March 2026', codeBuildMinute: { 'general1.medium': 0.011 }, syntheticsCanaryRun: 0.0013 } } });
    const table = priceTable(prices);
    expect(table.prices).toEqual({ ...P, syntheticsCanaryRun: 0.0013, codeBuildMinute: { ...P.codeBuildMinute, 'general1.medium': 0.011 } });
    expect(table.source).toBe(
      'us-east-1 list prices as of June 2025, unverified; overridden from the configuration (eu-west-1 list prices, March 2026): syntheticsCanaryRun, codeBuildMinute.general1.medium',
    );
  });

  test.each([
    [{ codeBuildMinute: { 'general1.huge': 0.1 } }, 'prices.codeBuildMinute.general1.huge', 'is not a known setting (general1.small, general1.medium, general1.large, arm1.small, arm1.large), got 0.1'],
    [{ lambdaRequest: -1 }, 'prices.lambdaRequest', 'must be a price in US dollars, 0 or more, got -1'],
    [{ codePipelineActionMinute: '0.002' }, 'prices.codePipelineActionMinute', 'must be a price in US dollars, 0 or more, got "0.002"'],
    [{ s3: 0.023 }, 'prices.s3', 'is not a known setting (source, codePipelineActionMinute, codeBuildMinute'],
    [{ source: ' ' }, 'prices.source', 'must be a non-empty string, got " "'],
    ['cheap', 'prices', 'must be an object, got "cheap"'],
  ])('the prices %j are refused in one line naming %s', (prices, field, message) => {
    expect(() => loadConfig({ context: { prices } })).toThrow(expect.objectContaining({ name: 'ConfigError', field, message: expect.stringContaining(message) }));
  });
});

describe("a release's cost", () => {
  const usage = { actionMinutes: 40, buildMinutes: { 'general1.medium': 15, 'arm1.small': 2 }, gateMinutes: 100, bakeMinutes: 90 } as const;

  test('prices each service by its usage: the gate by checks and GB-seconds on arm64, the synthetic checks by runs', () => {
    const cost = releaseCost(usage, P);
    const gbSeconds = 100 * 0.1 * (256 / 1024);
    expect(cost.items).toEqual({
      CodePipeline: 40 * P.codePipelineActionMinute,
      CodeBuild: 15 * P.codeBuildMinute['general1.medium'] + 2 * P.codeBuildMinute['arm1.small'],
      'bake gate (Lambda)': expect.closeTo(100 * P.lambdaRequest + gbSeconds * P.lambdaArmGbSecond, 12),
      'synthetic checks': 90 * P.syntheticsCanaryRun,
    });
    expect(cost.marginal).toBeCloseTo(cost.items.CodePipeline! + cost.items.CodeBuild!, 12);
    expect(cost.attributed).toBeCloseTo(cost.items['bake gate (Lambda)']! + cost.items['synthetic checks']!, 12);
    expect(cost.dollars).toBeCloseTo(cost.marginal + cost.attributed, 12);
  });

  test('S3 counts only when the asset bytes are known: a month of storage, and transfer to other regions', () => {
    expect(releaseCost(usage, P).items['S3 assets']).toBeUndefined();
    const gb = 1024 ** 3;
    const cost = releaseCost({ ...usage, assetBytes: 2 * gb, crossRegionAssetBytes: gb }, P);
    expect(cost.items['S3 assets']).toBeCloseTo(2 * P.s3GbMonth + P.interRegionTransferGb, 12);
  });

  test('usages add up; asset bytes stay unknown unless both are known', () => {
    const sum = addUsage(addUsage(NO_USAGE, usage), { ...usage, buildMinutes: { 'general1.medium': 1 }, assetBytes: 5 });
    expect(sum).toEqual({ actionMinutes: 80, buildMinutes: { 'general1.medium': 16, 'arm1.small': 2 }, gateMinutes: 200, bakeMinutes: 180, assetBytes: undefined, crossRegionAssetBytes: undefined });
  });
});

test.each([
  ['LINUX_CONTAINER', 'BUILD_GENERAL1_MEDIUM', 'general1.medium'],
  ['LINUX_CONTAINER', 'BUILD_GENERAL1_SMALL', 'general1.small'],
  ['ARM_CONTAINER', 'BUILD_GENERAL1_LARGE', 'arm1.large'],
  ['ARM_CONTAINER', 'BUILD_GENERAL1_MEDIUM', undefined],
  ['LINUX_GPU_CONTAINER', 'BUILD_GENERAL1_LARGE', undefined],
  ['LINUX_CONTAINER', 'BUILD_LAMBDA_1GB', undefined],
])("CodeBuild's %s %s is priced as %s", (type, compute, key) => {
  expect(codeBuildCompute(type, compute)).toBe(key);
});

test.each([
  [0.42, '$0.42'],
  [12.345, '$12.35'],
  [0.0031, '$0.0031'],
  [0.00004, '< $0.0001'],
  [0, '$0.00'],
])('%d dollars are written %s', (dollars, text) => {
  expect(formatDollars(dollars)).toBe(text);
});
