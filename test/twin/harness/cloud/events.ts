/**
 * What moves events between the twin's services, as the templates wire it: SQS queues (KMS-encrypted,
 * with redrive to a dead-letter queue), the event source mapping that hands a queue's messages to a
 * function (batch size, partial batch failures), EventBridge Scheduler schedules (a role that invokes
 * the target, a dead-letter queue) and CloudWatch alarms that notify an SNS topic. Every hop is
 * authorised: service principals against the queue, topic and key policies, roles against their own.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Json, ResolvedDeployment } from '../assembly.ts';
import type { Decision, TwinIam } from '../iam.ts';
import type { TwinLambda } from './lambda.ts';

interface Queue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly region: string;
  readonly keyArn: string | undefined;
  readonly deadLetterArn: string | undefined;
  readonly maxReceiveCount: number;
  readonly messages: Array<{ id: string; body: string; receives: number }>;
}

/** A message S3 or a scheduler could not deliver, or one that went to a dead-letter queue. */
export interface DeadLetter {
  readonly queue: string;
  readonly body: string;
  readonly why: string;
}

export class TwinEvents {
  readonly #queues = new Map<string, Queue>();
  readonly #mappings = new Map<
    string,
    Array<{ functionName: string; batchSize: number; partial: boolean }>
  >();
  readonly deadLetters: DeadLetter[] = [];
  readonly #running = new Set<Promise<void>>();
  readonly #polling = new Set<string>();

  constructor(
    private readonly deployment: ResolvedDeployment,
    private readonly iam: TwinIam,
    private readonly lambda: TwinLambda,
  ) {
    for (const queue of deployment.ofType('AWS::SQS::Queue')) {
      const props = deployment.resolve(queue.stack, queue.properties);
      const arn = deployment.arn(queue);
      this.#queues.set(arn, {
        name: deployment.attribute(queue, 'QueueName'),
        arn,
        url: deployment.ref(queue),
        region: queue.stack.region,
        keyArn: props.KmsMasterKeyId,
        deadLetterArn: props.RedrivePolicy?.deadLetterTargetArn,
        maxReceiveCount: Number(props.RedrivePolicy?.maxReceiveCount ?? 0),
        messages: [],
      });
    }
    for (const mapping of deployment.ofType('AWS::Lambda::EventSourceMapping')) {
      const props = deployment.resolve(mapping.stack, mapping.properties);
      const list = this.#mappings.get(props.EventSourceArn) ?? [];
      list.push({
        functionName: props.FunctionName,
        batchSize: Number(props.BatchSize ?? 10),
        partial: (props.FunctionResponseTypes ?? []).includes('ReportBatchItemFailures'),
      });
      this.#mappings.set(props.EventSourceArn, list);
    }
  }

  /** Messages a queue holds now (after deliveries), e.g. a dead-letter queue. */
  messagesIn(queueArn: string): readonly string[] {
    return (this.#queues.get(queueArn)?.messages ?? []).map((message) => message.body);
  }

  /** SendMessage by a principal (a role, or a service principal with the resource it acts for). */
  async send(
    queueArn: string,
    body: string,
    sender: { readonly principal: string; readonly sourceArn?: string; readonly sourceAccount?: string },
  ): Promise<void> {
    const queue = this.#queues.get(queueArn);
    if (!queue) throw new Error(`No queue ${queueArn}`);
    const context = {
      ...(sender.sourceArn ? { 'aws:SourceArn': sender.sourceArn } : {}),
      ...(sender.sourceAccount ? { 'aws:SourceAccount': sender.sourceAccount } : {}),
    };
    await this.iam.require({
      principal: sender.principal,
      action: 'sqs:SendMessage',
      resource: queue.arn,
      context,
    });
    if (queue.keyArn) {
      // SQS asks KMS for a data key as the sender: the key policy must let it.
      await this.iam.require({
        principal: sender.principal,
        action: 'kms:GenerateDataKey',
        resource: queue.keyArn,
        context: { ...context, 'kms:ViaService': `sqs.${queue.region}.amazonaws.com` },
      });
    }
    queue.messages.push({ id: randomUUID(), body, receives: 0 });
    this.#deliverSoon(queue);
  }

  /**
   * Starts the queue's poller unless one runs: one poller per queue hands messages over one batch at a
   * time (Lambda would run up to the mapping's maximum concurrency; on a test machine's few cores one
   * environment at a time finishes sooner, and the order of deliveries is no part of any contract).
   */
  #deliverSoon(queue: Queue): void {
    if (!this.#mappings.has(queue.arn) || this.#polling.has(queue.arn)) return;
    this.#polling.add(queue.arn);
    const run = (async () => {
      await new Promise((resolve) => setImmediate(resolve));
      try {
        await this.#deliver(queue);
      } finally {
        this.#polling.delete(queue.arn);
      }
    })().finally(() => this.#running.delete(run));
    this.#running.add(run);
  }

  /** The event source mapping: polls with the function's role, invokes, deletes or redrives. */
  async #deliver(queue: Queue): Promise<void> {
    for (const mapping of this.#mappings.get(queue.arn) ?? []) {
      const fn = this.lambda.byName(mapping.functionName);
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
        await this.iam.require({ principal: fn.roleArn, action, resource: queue.arn });
      }
      if (queue.keyArn) {
        await this.iam.require({
          principal: fn.roleArn,
          action: 'kms:Decrypt',
          resource: queue.keyArn,
          context: { 'kms:ViaService': `sqs.${queue.region}.amazonaws.com` },
        });
      }
      while (queue.messages.length > 0) {
        const batch = queue.messages.splice(0, mapping.batchSize);
        for (const message of batch) message.receives++;
        const event = {
          Records: batch.map((message) => ({
            messageId: message.id,
            receiptHandle: randomUUID(),
            body: message.body,
            attributes: {
              ApproximateReceiveCount: String(message.receives),
              SentTimestamp: String(Date.now()),
              SenderId: 'AROATWIN',
              ApproximateFirstReceiveTimestamp: String(Date.now()),
            },
            messageAttributes: {},
            md5OfBody: '',
            eventSource: 'aws:sqs',
            eventSourceARN: queue.arn,
            awsRegion: queue.region,
          })),
        };
        let failed: string[];
        try {
          const response = JSON.parse(await this.lambda.run(fn, event, 'sqs')) as Json;
          failed = mapping.partial
            ? (response?.batchItemFailures ?? []).map((failure: Json) => String(failure.itemIdentifier))
            : [];
        } catch {
          failed = batch.map((message) => message.id);
        }
        for (const message of batch.filter((m) => failed.includes(m.id))) {
          if (queue.maxReceiveCount > 0 && message.receives >= queue.maxReceiveCount && queue.deadLetterArn) {
            this.#queues.get(queue.deadLetterArn)?.messages.push(message);
            this.deadLetters.push({
              queue: queue.deadLetterArn,
              body: message.body,
              why: 'maxReceiveCount reached',
            });
          } else {
            queue.messages.push(message); // visible again after the visibility timeout (immediately here)
          }
        }
      }
    }
  }

  /** No delivery is pending. */
  get idle(): boolean {
    return this.#running.size === 0;
  }

  /** Resolves when every delivery so far has ended. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** Schedules of the templates, by logical id; `input` as the template holds it (context attributes unfilled). */
  schedules(): Array<{
    logicalId: string;
    arn: string;
    targetArn: string;
    roleArn: string;
    input: string;
    deadLetterArn?: string;
  }> {
    return this.deployment.ofType('AWS::Scheduler::Schedule').map((schedule) => {
      const props = this.deployment.resolve(schedule.stack, schedule.properties);
      const { region, account } = schedule.stack;
      return {
        logicalId: schedule.logicalId,
        arn: `arn:aws:scheduler:${region}:${account}:schedule/default/${schedule.logicalId}`,
        targetArn: props.Target.Arn,
        roleArn: props.Target.RoleArn,
        input: props.Target.Input ?? '{}',
        ...(props.Target.DeadLetterConfig?.Arn ? { deadLetterArn: props.Target.DeadLetterConfig.Arn } : {}),
      };
    });
  }

  /**
   * Fires a schedule as EventBridge Scheduler does: it fills the context attributes of the schedule's
   * input (`<aws.scheduler.scheduled-time>` and the others), then its role invokes the target
   * asynchronously; if the invocation is refused, the event goes to the schedule's dead-letter queue
   * (sent by the same role). `scheduledAt` is the time the schedule fires for (default: now).
   */
  async fireSchedule(
    logicalIdPrefix: string,
    scheduledAt: Date = new Date(),
  ): Promise<{ invoked: boolean; decision: Decision; event: unknown }> {
    const found = this.schedules().find((s) => s.logicalId.startsWith(logicalIdPrefix));
    if (!found) throw new Error(`No schedule ${logicalIdPrefix}`);
    const attributes: Record<string, string> = {
      'schedule-arn': found.arn,
      // Scheduler writes the time to the second, as in its documentation's example (2022-03-22T18:59:43Z).
      'scheduled-time': scheduledAt.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'execution-id': randomBytes(8).toString('hex'),
      'attempt-number': '1',
    };
    const input = found.input.replace(
      /<aws\.scheduler\.([a-z-]+)>/g,
      (keyword, name: string) => attributes[name] ?? keyword,
    );
    const schedule = { ...found, input: JSON.parse(input) as unknown };
    const decision = await this.iam.authorize({
      principal: schedule.roleArn,
      action: 'lambda:InvokeFunction',
      resource: schedule.targetArn,
    });
    if (decision.allowed) {
      this.lambda.enqueue(this.lambda.byName(schedule.targetArn), schedule.input, 'schedule');
      return { invoked: true, decision, event: schedule.input };
    }
    if (schedule.deadLetterArn) {
      await this.send(schedule.deadLetterArn, JSON.stringify(schedule.input), {
        principal: schedule.roleArn,
      });
    }
    return { invoked: false, decision, event: schedule.input };
  }
}
