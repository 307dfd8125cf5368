import type { LambdaClient } from '@aws-sdk/client-lambda';
import {
  type WithdrawalFinisher,
  WithdrawalIncompleteError,
  type WithdrawalRequest,
  type WithdrawalResult,
} from '../domain/uploads/withdraw.ts';

type LambdaSdk = typeof import('@aws-sdk/client-lambda');
let lambdaSdkModule: Promise<LambdaSdk> | undefined;
/** The Lambda client module, loaded on first use (a literal specifier keeps the import dynamic). */
const lambdaSdk = (): Promise<LambdaSdk> => (lambdaSdkModule ??= import('@aws-sdk/client-lambda'));

/**
 * Finishes withdrawals in the mask function (InvocationType `RequestResponse`): it holds DuckDB for the
 * facts and the grants to delete an upload's object versions, which the API's role does not. The
 * function's name comes from `KURA_FUNCTION_MASK` (set with the invoke permission). A failed run
 * answers WithdrawalIncompleteError (503): the record already says WITHDRAWN, and withdrawing again
 * finishes the deletion.
 */
export class LambdaWithdrawalFinisher implements WithdrawalFinisher {
  readonly #client: LambdaClient;
  readonly #functionName: () => string;

  constructor(options: { readonly client: LambdaClient; readonly functionName: () => string }) {
    this.#client = options.client;
    this.#functionName = options.functionName;
  }

  async finish(request: WithdrawalRequest): Promise<WithdrawalResult> {
    const { InvokeCommand } = await lambdaSdk();
    const { tenantId, uploadId, actor } = request;
    // Throttled, or the function briefly missing during a deployment: the same answer, withdraw again.
    const response = await this.#client
      .send(
        new InvokeCommand({
          FunctionName: this.#functionName(),
          InvocationType: 'RequestResponse',
          Payload: new TextEncoder().encode(JSON.stringify({ tenantId, uploadId, withdrawal: { actor } })),
        }),
      )
      .catch(() => {
        throw new WithdrawalIncompleteError(uploadId);
      });
    if (response.FunctionError || response.StatusCode !== 200 || !response.Payload) {
      throw new WithdrawalIncompleteError(uploadId);
    }
    const result = JSON.parse(new TextDecoder().decode(response.Payload)) as WithdrawalResult;
    if (result?.uploadId !== uploadId || result.status !== 'WITHDRAWN')
      throw new WithdrawalIncompleteError(uploadId);
    return result;
  }
}
