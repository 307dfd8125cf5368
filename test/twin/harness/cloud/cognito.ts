/**
 * The twin's Cognito user pools: the user pools the templates declare, with the calls Kura's functions
 * make (ListUsers, AdminUserGlobalSignOut, AdminDisableUser), each authorised on the pool's ARN as
 * IAM does. Users are added by the test (`addUser`), as an administrator would create them.
 */
import type { Json, ResolvedDeployment } from '../assembly.ts';
import { TwinAccessDeniedError, type TwinIam } from '../iam.ts';
import type { CallerIdentity, Reply } from './s3.ts';

export interface TwinUser {
  readonly username: string;
  readonly attributes: Readonly<Record<string, string>>;
  enabled: boolean;
  /** Sessions ended (refresh tokens revoked) by AdminUserGlobalSignOut. */
  signedOut: boolean;
}

const jsonReply = (status: number, body: unknown): Reply => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: JSON.stringify(body),
});

const error = (type: string, message: string, status = 400): Reply =>
  jsonReply(status, { __type: type, message });

/** ListUsers answers at most this many users a page. */
const MAX_PAGE = 60;

export class TwinCognito {
  /** Pool id → pool ARN and its users (in creation order, as ListUsers pages them). */
  readonly #pools = new Map<string, { readonly arn: string; readonly users: TwinUser[] }>();

  constructor(
    deployment: ResolvedDeployment,
    private readonly iam: TwinIam,
  ) {
    for (const pool of deployment.ofType('AWS::Cognito::UserPool')) {
      this.#pools.set(deployment.ref(pool), { arn: deployment.arn(pool), users: [] });
    }
  }

  /** The id of the stage's one user pool. */
  get poolId(): string {
    const [id] = [...this.#pools.keys()];
    if (!id) throw new Error('The stage declares no user pool');
    return id;
  }

  /** Creates a user, enabled, in the stage's pool. */
  addUser(username: string, attributes: Record<string, string>): void {
    this.#pools.get(this.poolId)?.users.push({ username, attributes, enabled: true, signedOut: false });
  }

  user(username: string): Readonly<TwinUser> | undefined {
    return this.#pools.get(this.poolId)?.users.find((user) => user.username === username);
  }

  async handle(target: string, rawBody: Buffer, caller: CallerIdentity): Promise<Reply> {
    const action = target.split('.')[1] ?? '';
    const body = JSON.parse(rawBody.toString() || '{}') as Json;
    const pool = this.#pools.get(String(body.UserPoolId ?? ''));
    if (!pool) return error('ResourceNotFoundException', `User pool ${body.UserPoolId} does not exist.`);
    try {
      await this.iam.require({
        principal: caller.principal,
        action: `cognito-idp:${action}`,
        resource: pool.arn,
      });
    } catch (caught) {
      if (caught instanceof TwinAccessDeniedError) return error('AccessDeniedException', caught.message);
      throw caught;
    }
    switch (action) {
      case 'ListUsers': {
        if (body.Filter) return error('InvalidParameterException', 'The twin does not filter ListUsers.');
        const limit = Math.min(Number(body.Limit ?? MAX_PAGE), MAX_PAGE);
        const start = Number(body.PaginationToken ?? 0);
        const page = pool.users.slice(start, start + limit);
        const wanted: string[] | undefined = body.AttributesToGet;
        return jsonReply(200, {
          Users: page.map((user) => ({
            Username: user.username,
            Enabled: user.enabled,
            UserStatus: 'CONFIRMED',
            Attributes: Object.entries(user.attributes)
              .filter(([name]) => wanted === undefined || wanted.includes(name))
              .map(([Name, Value]) => ({ Name, Value })),
          })),
          ...(start + limit < pool.users.length ? { PaginationToken: String(start + limit) } : {}),
        });
      }
      case 'AdminUserGlobalSignOut':
      case 'AdminDisableUser': {
        const user = pool.users.find((candidate) => candidate.username === body.Username);
        if (!user) return error('UserNotFoundException', 'User does not exist.');
        if (action === 'AdminDisableUser') user.enabled = false;
        else user.signedOut = true;
        return jsonReply(200, {});
      }
      default:
        return error('InvalidAction', `The twin does not implement ${action}`);
    }
  }
}
