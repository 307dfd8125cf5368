import type { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { LambdaWithdrawalFinisher } from '../../../functions/adapters/lambda-withdrawals.ts';
import { WithdrawalIncompleteError } from '../../../functions/domain/uploads/withdraw.ts';

const request = { tenantId: 't-1', uploadId: 'u-1', actor: { subject: 'sub-1', roles: ['tenant'] } };

/** A Lambda client answering one invocation as given, keeping what it was sent. */
function client(reply: { StatusCode: number; FunctionError?: string; Payload?: unknown }) {
  const sent: unknown[] = [];
  const fake = {
    send: async (command: { input: unknown }) => {
      sent.push(command.input);
      return {
        StatusCode: reply.StatusCode,
        FunctionError: reply.FunctionError,
        Payload:
          reply.Payload === undefined ? undefined : new TextEncoder().encode(JSON.stringify(reply.Payload)),
      };
    },
  };
  return { sent, client: fake as unknown as LambdaClient };
}

describe('finishing a withdrawal in the mask function', () => {
  it('invokes it and waits, naming the upload and who withdrew it', async () => {
    // Prepare
    const result = {
      uploadId: 'u-1',
      status: 'WITHDRAWN',
      withdrawnAt: 'x',
      deleted: { raw: 2 },
      ledgerRef: 'c/1',
    };
    const fake = client({ StatusCode: 200, Payload: result });
    const finisher = new LambdaWithdrawalFinisher({
      client: fake.client,
      functionName: () => 'kura-dev-mask',
    });

    // Act
    const answer = await finisher.finish(request);

    // Assess
    expect(answer).toEqual(result);
    const input = fake.sent[0] as { FunctionName: string; InvocationType: string; Payload: Uint8Array };
    expect(input.FunctionName).toBe('kura-dev-mask');
    expect(input.InvocationType).toBe('RequestResponse');
    expect(JSON.parse(new TextDecoder().decode(input.Payload))).toEqual({
      tenantId: 't-1',
      uploadId: 'u-1',
      withdrawal: { actor: request.actor },
    });
  });

  it('answers "withdraw again" (WITHDRAWAL_INCOMPLETE, 503) when the function failed, without passing its error on', async () => {
    // Prepare
    const fake = client({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: { errorType: 'Error', errorMessage: 'internal detail' },
    });
    const finisher = new LambdaWithdrawalFinisher({
      client: fake.client,
      functionName: () => 'kura-dev-mask',
    });

    // Act
    const failure = await finisher.finish(request).catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(WithdrawalIncompleteError);
    expect((failure as WithdrawalIncompleteError).code).toBe('WITHDRAWAL_INCOMPLETE');
    expect(String((failure as Error).message)).not.toContain('internal detail');
  });
});
