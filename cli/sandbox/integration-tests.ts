import * as path from 'node:path';
import { Stack } from '@aws-sdk/client-cloudformation';
import { CommandLine } from './cdk-invocation';

/** Where a deployed service stage answers: its stack's `ApiUrl` and `TileServerUrl` outputs. */
export interface ServiceEndpoints {
  readonly apiUrl: string;
  readonly tileServerUrl: string;
}

/** The service's endpoints from its stack's outputs (DescribeStacks), or the output that is missing. */
export function serviceEndpoints(stack: Stack): ServiceEndpoints | { readonly missing: string } {
  const output = (key: string) => stack.Outputs?.find((o) => o.OutputKey === key)?.OutputValue;
  const apiUrl = output('ApiUrl');
  const tileServerUrl = output('TileServerUrl');
  if (!apiUrl) return { missing: 'ApiUrl' };
  if (!tileServerUrl) return { missing: 'TileServerUrl' };
  return { apiUrl, tileServerUrl };
}

/**
 * The integration tests (`jest -c jest.integration.config.js`, the same run as the pipeline's Sandbox stage) against
 * these endpoints, with the project's own jest, run by this Node.js.
 */
export function integrationTestsCommandLine(request: ServiceEndpoints & { readonly projectDir: string; readonly region: string }): CommandLine {
  return {
    file: process.execPath,
    args: [path.join(request.projectDir, 'node_modules', 'jest', 'bin', 'jest.js'), '-c', 'jest.integration.config.js'],
    cwd: request.projectDir,
    env: { API_URL: request.apiUrl, TILE_SERVER_URL: request.tileServerUrl, AWS_REGION: request.region },
  };
}
