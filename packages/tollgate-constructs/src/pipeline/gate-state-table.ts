import * as cdk from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface GateStateTableProps {
  /**
   * Physical name of the table, so that operator tools can read the gate's health.
   *
   * @default - a generated name
   */
  readonly tableName?: string;
}

/**
 * What the bake gate remembers between checks (failing reads, announcements owed), keyed `pk`/`sk`, with
 * expiring records. Created directly in `scope` as its child `State` (not in a construct of its own), so the
 * table keeps the construct path, and so the logical ID, it had before the bake gate was split into parts:
 * a new logical ID would replace the table.
 */
export function addGateStateTable(scope: Construct, props: GateStateTableProps = {}): dynamodb.TableV2 {
  return new dynamodb.TableV2(scope, 'State', {
    tableName: props.tableName,
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    // Remembered announcements expire on their own.
    timeToLiveAttribute: 'expiresAt',
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    billing: dynamodb.Billing.onDemand(),
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    // Only failing-read records and announcements owed: nothing to keep once the pipeline is gone.
    removalPolicy: cdk.RemovalPolicy.DESTROY,
  });
}
