/**
 * Announcements on the team's release topic (`<pipelineName>-release-events` in the deployment account, where
 * the bake gate publishes its rejections): `override`, `stop` and `resume` say there who did what, why and when,
 * so that the chat and the pager subscribed to it hear of it at once.
 */
import { PublishCommand } from '@aws-sdk/client-sns';
import { TollgateConfig } from '../cdk/config';
import { releaseEventsTopicName } from '@tollgate/constructs/lib/domain/pipeline-controls';
import { AwsClients, awsClients } from './aws';
import { CliError } from './context';
import { Step, StepOutcome, formatOutcome } from './steps';

const TOPIC_ARN = /^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/;

/** The help of `--topic-arn`, the same on every command that announces. */
export const TOPIC_ARN_HELP = 'SNS topic to announce on (default: TOLLGATE_TOPIC_ARN, else <pipelineName>-release-events in the deployment account)';

/**
 * The topic given by `--topic-arn`, else by `TOLLGATE_TOPIC_ARN`; undefined when neither is set. A value that is
 * no SNS topic ARN is a {@link CliError} (exit 2): call this before anything is changed.
 */
export function givenTopicArn(explicit: string | undefined): string | undefined {
  const given = explicit ?? process.env.TOLLGATE_TOPIC_ARN;
  if (given !== undefined && !TOPIC_ARN.test(given)) {
    throw new CliError(`--topic-arn (or TOLLGATE_TOPIC_ARN) must be an SNS topic ARN, got ${JSON.stringify(given)}`);
  }
  return given;
}

/** The given topic (see {@link givenTopicArn}), else the release-events topic of the deployment account, in the caller's partition. */
export function topicArn(config: TollgateConfig, given: string | undefined, callerArn: string): string {
  if (given !== undefined) return given;
  const partition = callerArn.split(':')[1];
  const { region, account } = config.deployment;
  return `arn:${partition}:sns:${region}:${account}:${releaseEventsTopicName(config.pipelineName)}`;
}

export interface Announcement {
  /** One line; SNS takes at most 100 characters, so it is cut there. */
  readonly subject: string;
  readonly message: string;
}

/**
 * Publishes on `topic` with the command's SNS client when the topic is in its region, else with a client for the
 * topic's region (both resolve credentials and `AWS_ENDPOINT_URL` like every other call). Resolves to the message
 * ID. The release topic is encrypted with a KMS key, so the caller needs `kms:GenerateDataKey*` and `kms:Decrypt`
 * on that key as well as `sns:Publish`. AWS's error is passed on as is.
 */
export async function announce(aws: AwsClients, topic: string, { subject, message }: Announcement): Promise<string | undefined> {
  const region = topic.split(':')[3];
  const sns = region === aws.region ? aws.sns : awsClients(region, aws.credentials).sns;
  const published = await sns.send(new PublishCommand({ TopicArn: topic, Subject: subject.slice(0, 100), Message: message }));
  return published.MessageId;
}

/** Who stopped or resumed releases to Prod, why and when. */
export interface ProdChange {
  readonly command: 'stop' | 'resume';
  readonly pipelineName: string;
  /** The stage whose releases stop or resume: the manifest's promotion stage. */
  readonly stage: string;
  /** The caller's identity ARN. */
  readonly by: string;
  readonly reason: string;
  readonly at: string;
}

/** The announcement of a `stop` or `resume`, listing what each step before it did exactly as the command printed it. */
function prodChangeAnnouncement(change: ProdChange, earlier: readonly StepOutcome[]): Announcement {
  const { command, pipelineName, stage, by, reason, at } = change;
  const complete = earlier.every((o) => o.status === 'done');
  const releases = `releases to ${stage} of pipeline ${pipelineName}`;
  const what = command === 'stop' ? `halted ${releases}` : `resumed ${releases}`;
  return {
    subject: `Tollgate ${pipelineName}: releases to ${stage} ${command === 'stop' ? 'stopped' : 'resumed'}${complete ? '' : ' (incomplete)'}`,
    message: [
      complete
        ? `${by} ${what} with tollgate ${command}.`
        : `${by} ran tollgate ${command} on ${releases}, but not every step was done (see FAILED below).`,
      `Reason: ${reason}`,
      `At: ${at}`,
      'Steps:',
      ...earlier.flatMap(formatOutcome),
    ].join('\n'),
  };
}

/**
 * The last step of `stop` and `resume`: the announcement of {@link prodChangeAnnouncement} on `topic`. When it
 * fails, only this step fails: what the steps before it did stays done.
 */
export function announceProdChange(aws: AwsClients, topic: string, change: ProdChange): Step {
  return {
    name: `announce on ${topic}`,
    run: async (earlier) => {
      const messageId = await announce(aws, topic, prodChangeAnnouncement(change, earlier));
      return [messageId ? `published (message ${messageId})` : 'published'];
    },
  };
}
