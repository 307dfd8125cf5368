/**
 * Errors shaped as the AWS SDK v3 raises them (`name`, `$fault`, `$metadata.httpStatusCode`,
 * `$retryable`), so code that classifies SDK errors treats an injected fault as it would the real one.
 */

/** Which service's error to imitate: S3 and DynamoDB name the same fault differently. */
export type FaultService = 's3' | 'dynamodb' | 'athena' | 'secretsmanager' | 'duckdb';

/** An SDK-shaped service error. */
export class InjectedServiceError extends Error {
  readonly $fault: 'client' | 'server';
  readonly $metadata: { readonly httpStatusCode: number; readonly attempts: number };
  readonly $retryable: { readonly throttling: boolean } | undefined;

  constructor(options: {
    name: string;
    message: string;
    status: number;
    fault: 'client' | 'server';
    retryable?: { throttling: boolean } | undefined;
  }) {
    super(options.message);
    this.name = options.name;
    this.$fault = options.fault;
    this.$metadata = { httpStatusCode: options.status, attempts: 1 };
    this.$retryable = options.retryable;
  }
}

/** Throttling as each service reports it: S3 `SlowDown` 503, DynamoDB `ProvisionedThroughputExceededException` 400, … */
export function throttlingError(service: FaultService): InjectedServiceError {
  switch (service) {
    case 's3':
      return new InjectedServiceError({
        name: 'SlowDown',
        message: 'Please reduce your request rate.',
        status: 503,
        fault: 'server',
        retryable: { throttling: true },
      });
    case 'dynamodb':
      return new InjectedServiceError({
        name: 'ProvisionedThroughputExceededException',
        message: 'The level of configured provisioned throughput for the table was exceeded.',
        status: 400,
        fault: 'client',
        retryable: { throttling: true },
      });
    case 'athena':
      return new InjectedServiceError({
        name: 'TooManyRequestsException',
        message: 'Rate exceeded',
        status: 400,
        fault: 'client',
        retryable: { throttling: true },
      });
    default:
      return new InjectedServiceError({
        name: 'ThrottlingException',
        message: 'Rate exceeded',
        status: 400,
        fault: 'client',
        retryable: { throttling: true },
      });
  }
}

/** A 5xx: `InternalError` (S3), `InternalServerError` (DynamoDB, Athena), `InternalServiceError` (Secrets Manager). */
export function serverError(service: FaultService): InjectedServiceError {
  const name =
    service === 's3'
      ? 'InternalError'
      : service === 'secretsmanager'
        ? 'InternalServiceError'
        : 'InternalServerError';
  return new InjectedServiceError({
    name,
    message: 'We encountered an internal error. Please try again.',
    status: 500,
    fault: 'server',
    retryable: { throttling: false },
  });
}

/** What the SDK raises when a request gets no answer in time (socket or request timeout). */
export class InjectedTimeoutError extends Error {
  override readonly name = 'TimeoutError';
  readonly $metadata = { attempts: 1 };
  readonly $retryable = { throttling: false };
}

/**
 * The process dies at this point (Lambda timeout, out of memory, a lost container). Tests catch it, keep
 * only what a real system would keep (the stores) and run the step again from scratch. Once raised,
 * every later call through the same plan raises it too: a dead process writes nothing more, not even in
 * a `finally`.
 */
export class SimulatedCrash extends Error {
  override readonly name = 'SimulatedCrash';
}
