/**
 * What a route is and what it gets: shared by the route tables (routes.ts, support-routes.ts) so that
 * neither imports the other for its types.
 */
import type { Runtime } from '../adapters/runtime.ts';
import type { Principal, Requirement } from '../domain/auth/principal.ts';
import type { Lang } from '../domain/i18n.ts';

/** What a route gets: the caller, the ports and accessors that parse lazily (after authorisation). */
export interface RouteContext {
  readonly ports: Runtime;
  readonly principal: Principal;
  /** The caller's language: `?lang=ja|en`, else Accept-Language. */
  readonly lang: Lang;
  /** The JSON body; MalformedRequestError when it is not JSON. */
  body(): unknown;
  /** The JSON body, or undefined when there is none. */
  optionalBody(): unknown;
  path(name: string): string;
  query(name: string): string | undefined;
  /** Every query parameter. */
  queries(): Readonly<Record<string, string>>;
}

export interface Route {
  readonly requires: Requirement;
  /**
   * Served without sign-in (no authorizer: the infra exempts these routes, see PUBLIC_ROUTE_KEYS).
   * Only for what the law asks to be public, such as the APPI notice; `requires` is then ignored.
   */
  readonly public?: true;
  readonly status?: number;
  handle(context: RouteContext): Promise<unknown>;
}
