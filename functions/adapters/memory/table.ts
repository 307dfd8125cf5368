import { isDeepStrictEqual } from 'node:util';
import {
  ConditionFailedError,
  type Item,
  NotFoundError,
  type QueryPage,
  type QueryRequest,
  type ScanRequest,
  type Table,
} from '../../domain/ports/index.ts';
import { TABLE_DEFINITIONS, type TableDefinition } from '../../domain/ports/table.ts';

/** Raised when an item or request does not fit the table's key schema (DynamoDB's ValidationException). */
export class MemoryTableValidationError extends Error {
  override readonly name = 'MemoryTableValidationError';
}

type KeyValue = string | number;

/**
 * In-memory Table with DynamoDB's semantics where Kura relies on them: key schemas from
 * `TABLE_DEFINITIONS`, conditional puts, queries by partition and sort-key prefix on the table or a
 * global index (sorted by sort key, paged with a cursor), scans, and deletes. Items are copied in and out,
 * so callers can never mutate stored state by accident.
 */
export class MemoryTable implements Table {
  readonly #definitions: Readonly<Record<string, TableDefinition>>;
  readonly #tables = new Map<string, Map<string, Item>>();

  constructor(definitions: Readonly<Record<string, TableDefinition>> = TABLE_DEFINITIONS) {
    this.#definitions = definitions;
    for (const name of Object.keys(definitions)) this.#tables.set(name, new Map());
  }

  async get(table: string, key: Item): Promise<Item | undefined> {
    const item = this.#items(table).get(this.#keyString(table, key));
    return item === undefined ? undefined : structuredClone(item);
  }

  async put(
    table: string,
    item: Item,
    condition?: { readonly ifAbsent?: string; readonly ifMatch?: Readonly<Item> },
  ): Promise<void> {
    const items = this.#items(table);
    const id = this.#keyString(table, item);
    const existing = items.get(id);
    if (condition?.ifAbsent !== undefined && existing !== undefined && condition.ifAbsent in existing) {
      throw new ConditionFailedError(`An item with this key already exists in ${table}`);
    }
    if (condition?.ifMatch !== undefined) {
      for (const [name, expected] of Object.entries(condition.ifMatch)) {
        if (!existing || !isDeepStrictEqual(existing[name], expected)) {
          throw new ConditionFailedError(`${table}: attribute ${name} no longer has the expected value`);
        }
      }
    }
    items.set(id, structuredClone(item));
  }

  async query(request: QueryRequest): Promise<QueryPage> {
    const { partitionKey, sortKey } = this.#keySchema(request.table, request.index);
    const matching = [...this.#items(request.table).values()].filter((item) => {
      if (item[partitionKey] !== request.partition.value) return false;
      if (!request.sortPrefix) return true;
      const sortValue = item[request.sortPrefix.name];
      return typeof sortValue === 'string' && sortValue.startsWith(request.sortPrefix.value);
    });
    const order = (item: Item) => [
      sortKey ? (item[sortKey] as KeyValue) : '',
      this.#keyString(request.table, item),
    ];
    const page = this.#page(matching, order, request);
    const { attributes } = request;
    if (!attributes) return page;
    const projected = page.items.map((item) =>
      Object.fromEntries(attributes.flatMap((name) => (name in item ? [[name, item[name]]] : []))),
    );
    return { ...page, items: projected };
  }

  async scan(table: string, request: ScanRequest = {}): Promise<QueryPage> {
    const order = (item: Item) => ['', this.#keyString(table, item)];
    return this.#page([...this.#items(table).values()], order, { ...request, table });
  }

  async delete(table: string, key: Item): Promise<void> {
    this.#items(table).delete(this.#keyString(table, key));
  }

  /** Every item of a table, in key order (test helper). */
  dump(table: string): Item[] {
    return [...this.#items(table).entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, item]) => structuredClone(item));
  }

  #page(
    items: Item[],
    order: (item: Item) => KeyValue[],
    request: {
      readonly table: string;
      readonly limit?: number;
      readonly cursor?: Item | undefined;
      readonly descending?: boolean;
    },
  ): QueryPage {
    const direction = request.descending ? -1 : 1;
    const compare = (a: KeyValue[], b: KeyValue[]) => direction * compareTuples(a, b);
    let sorted = items
      .map((item) => ({ item, position: order(item) }))
      .sort((a, b) => compare(a.position, b.position));
    if (request.cursor) {
      const after = order(request.cursor);
      sorted = sorted.filter(({ position }) => compare(position, after) > 0);
    }
    const limit = request.limit ?? Number.POSITIVE_INFINITY;
    const page = sorted.slice(0, limit);
    const last = page.at(-1);
    const more = sorted.length > page.length && last !== undefined;
    return {
      items: page.map(({ item }) => structuredClone(item)),
      cursor: more ? structuredClone(last.item) : undefined,
    };
  }

  #keySchema(table: string, index?: string): { partitionKey: string; sortKey?: string | undefined } {
    const definition = this.#definition(table);
    if (index === undefined) return definition;
    const found = definition.globalIndexes?.find((candidate) => candidate.name === index);
    if (!found) throw new MemoryTableValidationError(`Table ${table} has no index named ${index}`);
    return found;
  }

  #keyString(table: string, item: Item): string {
    const { partitionKey, sortKey } = this.#definition(table);
    const names = sortKey ? [partitionKey, sortKey] : [partitionKey];
    return JSON.stringify(
      names.map((name) => {
        const value = item[name];
        if (typeof value !== 'string' && typeof value !== 'number') {
          throw new MemoryTableValidationError(`${table}: key attribute ${name} must be a string or number`);
        }
        return value;
      }),
    );
  }

  #definition(table: string): TableDefinition {
    const definition = this.#definitions[table];
    if (!definition) throw new NotFoundError(`No table named ${table}`);
    return definition;
  }

  #items(table: string): Map<string, Item> {
    this.#definition(table);
    let items = this.#tables.get(table);
    if (!items) {
      items = new Map();
      this.#tables.set(table, items);
    }
    return items;
  }
}

function compareTuples(a: KeyValue[], b: KeyValue[]): number {
  for (let index = 0; index < Math.max(a.length, b.length); index++) {
    const left = a[index];
    const right = b[index];
    if (left === right) continue;
    if (left === undefined) return -1;
    if (right === undefined) return 1;
    if (typeof left === 'number' && typeof right === 'number') return left - right;
    return String(left) < String(right) ? -1 : 1;
  }
  return 0;
}
