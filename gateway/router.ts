import type { RouteHandler, RouteOptions } from './http-types.js';
import { MoboError } from '../runtime/index.js';

/** One entry of the route table: who serves it, and how. */
export interface Route {
  method: string;
  pattern: string;
  /** The component whose slot serves the route. */
  owner: string;
  handler: RouteHandler;
  options: RouteOptions;
  /** `:name` of each segment, `undefined` for a static one. */
  params: (string | undefined)[];
}

export interface Match {
  route: Route;
  params: Record<string, string>;
  /** The matched pattern, a low-cardinality label for metrics. */
  pattern: string;
}

interface Node {
  statics: Map<string, Node>;
  param: Node | undefined;
  routes: Map<string, Route>;
}

const newNode = (): Node => ({ statics: new Map(), param: undefined, routes: new Map() });

/**
 * Method + path patterns with `:param` segments. Matching does not depend on the order
 * routes were added: segment by segment, a static segment beats a parameter
 * (`/v1/auth/:project/user` over `/v1/:project/:source/:table`; that is why system
 * prefixes are reserved project names). A route that claims exactly the requests of
 * another (the same pattern, or the same shape with other parameter names) is refused
 * with a message naming both. 404 and 405 are told apart.
 */
export class Router {
  private readonly root = newNode();

  add(route: Omit<Route, 'params'>): Route {
    const parts = split(route.pattern);
    const entry: Route = { ...route, method: route.method.toUpperCase(), params: parts.map((p) => (p.startsWith(':') ? p.slice(1) : undefined)) };
    let node = this.root;
    for (const part of parts) {
      if (part.startsWith(':')) node = node.param ??= newNode();
      else {
        let next = node.statics.get(part);
        if (!next) node.statics.set(part, (next = newNode()));
        node = next;
      }
    }
    const taken = node.routes.get(entry.method);
    if (taken) {
      const how = taken.pattern === entry.pattern ? 'is already served by' : 'would shadow';
      throw new MoboError('HTTP_ROUTE_CONFLICT', `Route ${describe(entry)} ${how} ${describe(taken)}`, {
        details: { route: describe(entry), conflictsWith: describe(taken) },
      });
    }
    node.routes.set(entry.method, entry);
    return entry;
  }

  /** Takes a route out of the table (a component re-mounting without it). */
  remove(route: Route): void {
    const node = this.nodeOf(route);
    if (node?.routes.get(route.method) === route) node.routes.delete(route.method);
  }

  /** Every route, for listings and tests. */
  routes(): Route[] {
    const out: Route[] = [];
    const walk = (node: Node): void => {
      out.push(...node.routes.values());
      for (const child of node.statics.values()) walk(child);
      if (node.param) walk(node.param);
    };
    walk(this.root);
    return out;
  }

  match(method: string, path: string): Match {
    const parts = split(path);
    const node = find(this.root, parts, 0);
    const route = node?.routes.get(method.toUpperCase());
    if (!route) throw new MoboError(node ? 'HTTP_METHOD_NOT_ALLOWED' : 'HTTP_NOT_FOUND', undefined, { details: { method, path } });
    const params: Record<string, string> = {};
    for (let i = 0; i < route.params.length; i++) {
      const name = route.params[i];
      if (name === undefined) continue;
      try {
        params[name] = decodeURIComponent(parts[i]!);
      } catch {
        throw new MoboError('HTTP_NOT_FOUND', 'The path is not valid percent-encoding', { details: { method, path } });
      }
    }
    return { route, params, pattern: route.pattern };
  }

  private nodeOf(route: Route): Node | undefined {
    let node: Node | undefined = this.root;
    for (const part of split(route.pattern)) node = part.startsWith(':') ? node?.param : node?.statics.get(part);
    return node;
  }
}

/** The most specific node that has routes for the path: static segments first, then parameters. */
function find(node: Node, parts: string[], i: number): Node | undefined {
  if (i === parts.length) return node.routes.size > 0 ? node : undefined;
  const part = parts[i]!;
  const exact = node.statics.get(part);
  const viaStatic = exact && find(exact, parts, i + 1);
  if (viaStatic) return viaStatic;
  return node.param && find(node.param, parts, i + 1);
}

function describe(route: Route): string {
  return `${route.method} ${route.pattern} (${route.owner})`;
}

function split(path: string): string[] {
  return path.split('/').filter((p) => p.length > 0);
}
