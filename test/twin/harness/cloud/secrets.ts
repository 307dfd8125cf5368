/**
 * The twin's Secrets Manager: the four calls Kura makes (CreateSecret, GetSecretValue, DescribeSecret,
 * DeleteSecret), each authorised on the secret's ARN, with the KMS use Secrets Manager makes for the
 * caller (kms:ViaService secretsmanager) checked against the key's policy.
 */
import { randomBytes } from 'node:crypto';
import type { Json } from '../assembly.ts';
import { TwinAccessDeniedError, type TwinIam } from '../iam.ts';
import type { CallerIdentity, Reply } from './s3.ts';

interface Secret {
  readonly name: string;
  readonly arn: string;
  readonly kmsKeyId: string | undefined;
  /** SecretString, or SecretBinary as the JSON protocol carries it (base64). */
  value: { readonly string?: string; readonly binary?: string };
  deletedDate: Date | undefined;
}

const jsonReply = (status: number, body: unknown): Reply => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify(body),
});

const error = (type: string, message: string, status = 400): Reply =>
  jsonReply(status, { __type: type, Message: message, message });

export class TwinSecretsManager {
  readonly #secrets = new Map<string, Secret>();

  constructor(
    private readonly iam: TwinIam,
    private readonly account: string,
  ) {}

  /** Whether a live secret by that name exists (assertions). */
  exists(name: string): boolean {
    const secret = this.#secrets.get(name);
    return secret !== undefined && secret.deletedDate === undefined;
  }

  names(): string[] {
    return [...this.#secrets.keys()];
  }

  async handle(target: string, rawBody: Buffer, caller: CallerIdentity): Promise<Reply> {
    const action = target.split('.')[1] ?? '';
    const body = JSON.parse(rawBody.toString() || '{}') as Json;
    const id = String(body.SecretId ?? body.Name ?? '');
    const existing = this.#find(id);
    const arn =
      existing?.arn ??
      `arn:aws:secretsmanager:${caller.region}:${this.account}:secret:${id}-${randomBytes(3).toString('hex').slice(0, 6)}`;
    try {
      await this.iam.require({
        principal: caller.principal,
        action: `secretsmanager:${action}`,
        resource: arn,
      });
      const kms = (kmsAction: string, keyId: string | undefined) =>
        keyId
          ? this.iam.require({
              principal: caller.principal,
              action: kmsAction,
              resource: keyId,
              context: { 'kms:ViaService': `secretsmanager.${caller.region}.amazonaws.com` },
            })
          : Promise.resolve();
      switch (action) {
        case 'CreateSecret': {
          if (existing) return error('ResourceExistsException', `The secret ${id} already exists.`);
          await kms('kms:GenerateDataKey', body.KmsKeyId);
          await kms('kms:Decrypt', body.KmsKeyId);
          const secret: Secret = {
            name: id,
            arn,
            kmsKeyId: body.KmsKeyId,
            value:
              body.SecretString !== undefined ? { string: body.SecretString } : { binary: body.SecretBinary },
            deletedDate: undefined,
          };
          this.#secrets.set(id, secret);
          return jsonReply(200, { ARN: arn, Name: id });
        }
        case 'GetSecretValue': {
          if (!existing)
            return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
          if (existing.deletedDate) {
            return error(
              'InvalidRequestException',
              'You can’t perform this operation on the secret because it was marked for deletion.',
            );
          }
          await kms('kms:Decrypt', existing.kmsKeyId);
          return jsonReply(200, {
            ARN: existing.arn,
            Name: existing.name,
            ...(existing.value.string !== undefined
              ? { SecretString: existing.value.string }
              : { SecretBinary: existing.value.binary }),
            VersionId: 'v1',
          });
        }
        case 'DescribeSecret': {
          if (!existing)
            return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
          return jsonReply(200, {
            ARN: existing.arn,
            Name: existing.name,
            ...(existing.deletedDate ? { DeletedDate: existing.deletedDate.getTime() / 1000 } : {}),
          });
        }
        case 'DeleteSecret': {
          if (!existing)
            return error('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
          if (body.ForceDeleteWithoutRecovery) this.#secrets.delete(existing.name);
          else existing.deletedDate = new Date();
          return jsonReply(200, { ARN: existing.arn, Name: existing.name, DeletionDate: Date.now() / 1000 });
        }
        default:
          return error('InvalidAction', `The twin does not implement ${action}`);
      }
    } catch (caught) {
      if (caught instanceof TwinAccessDeniedError) return error('AccessDeniedException', caught.message);
      throw caught;
    }
  }

  #find(id: string): Secret | undefined {
    if (this.#secrets.has(id)) return this.#secrets.get(id);
    return [...this.#secrets.values()].find((secret) => secret.arn === id);
  }
}
