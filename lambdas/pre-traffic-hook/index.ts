import { CodeDeployClient } from '@aws-sdk/client-codedeploy';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { Logger } from '@aws-lambda-powertools/logger';
import { runPreTrafficHook } from './adapter';
import type { Verdict } from './core';

const logger = new Logger({ serviceName: 'pre-traffic-hook' });
const lambda = new LambdaClient({});
const codedeploy = new CodeDeployClient({});

/** CodeDeploy's BeforeAllowTraffic hook for the API alias. */
export const handler = (event: unknown): Promise<Verdict> =>
  runPreTrafficHook(event, {
    lambda,
    codedeploy,
    env: process.env,
    now: Date.now,
    log: (message, details) => logger.info(message, details ?? {}),
  });
