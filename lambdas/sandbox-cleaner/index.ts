import { Logger } from '@aws-lambda-powertools/logger';
import { CloudFormationClient, DeleteStackCommand, paginateDescribeStacks } from '@aws-sdk/client-cloudformation';
import type { Context } from 'aws-lambda';
import { describeError } from '@tollgate/constructs/lib/domain/aws-errors';
import { StackDescription, StackVerdict, decideDeletions } from './select';

export interface CleanupSettings {
  readonly now: Date;
  readonly account: string;
  readonly prodAccount: string;
}

export interface CleanupReport {
  readonly refused?: string;
  /** Stacks whose deletion CloudFormation accepted. */
  readonly deleted: string[];
  readonly failed: { readonly stackName: string; readonly error: string }[];
  readonly kept: StackVerdict[];
}

/** Every stack in the region (DescribeStacks, all pages); any error aborts before anything is deleted. */
async function describeAllStacks(cloudFormation: CloudFormationClient): Promise<StackDescription[]> {
  const stacks: StackDescription[] = [];
  for await (const page of paginateDescribeStacks({ client: cloudFormation }, {})) {
    for (const s of page.Stacks ?? []) {
      stacks.push({ stackName: s.StackName ?? '', status: s.StackStatus, parentId: s.ParentId, tags: s.Tags });
    }
  }
  return stacks;
}

/**
 * Lists the stacks, asks {@link decideDeletions} which have expired, and starts their deletion. DeleteStack
 * reuses each stack's own CloudFormation role, so the cleaner itself never holds rights on the resources.
 */
export async function cleanExpiredSandboxes(cloudFormation: CloudFormationClient, settings: CleanupSettings, logger: Logger): Promise<CleanupReport> {
  const decision = decideDeletions({ ...settings, stacks: await describeAllStacks(cloudFormation) });
  const kept = decision.verdicts.filter((v) => v.action === 'keep');
  if (decision.refused) {
    logger.error('refusing to delete anything', { refused: decision.refused });
    return { refused: decision.refused, deleted: [], failed: [], kept };
  }
  const report: CleanupReport = { deleted: [], failed: [], kept };
  for (const v of report.kept.filter((k) => k.sandbox)) logger.info('keeping sandbox stack', { stackName: v.stackName, sandbox: v.sandbox, reason: v.reason });
  for (const v of decision.verdicts.filter((d) => d.action === 'delete')) {
    try {
      await cloudFormation.send(new DeleteStackCommand({ StackName: v.stackName }));
      report.deleted.push(v.stackName);
      logger.info('deleting expired sandbox stack', { stackName: v.stackName, sandbox: v.sandbox, reason: v.reason });
    } catch (err) {
      report.failed.push({ stackName: v.stackName, error: describeError(err) });
      logger.error('could not delete expired sandbox stack', { stackName: v.stackName, error: err as Error });
    }
  }
  return report;
}

const logger = new Logger({ serviceName: 'sandbox-cleaner' });
const cloudFormation = new CloudFormationClient({});

/** Scheduled entry point: fails (so the Errors metric shows it) when it refused or a deletion failed. */
export async function handler(_event: unknown, context: Context): Promise<CleanupReport> {
  const report = await cleanExpiredSandboxes(
    cloudFormation,
    {
      now: new Date(),
      // arn:aws:lambda:<region>:<account>:function:<name>
      account: context.invokedFunctionArn.split(':')[4] ?? '',
      prodAccount: process.env.PROD_ACCOUNT ?? '',
    },
    logger,
  );
  logger.info('sandbox cleanup done', { deleted: report.deleted, failed: report.failed.length, kept: report.kept.length });
  if (report.refused) throw new Error(`sandbox cleaner refused to run: ${report.refused}`);
  if (report.failed.length > 0) throw new Error(`could not delete ${report.failed.map((f) => f.stackName).join(', ')}`);
  return report;
}
