/**
 * A typed client for the Veiviser API.
 *
 * The types in `schema.d.ts` are generated from the merged OpenAPI document
 * (`docs/openapi/veiviser.json`, `make client`); `openapi-fetch` turns them into typed
 * `GET`/`POST`/`PATCH`/... calls whose path, parameters, body, answer and error are checked
 * by the compiler. This module adds what every Veiviser call needs: the bearer token, the
 * answer language, Idempotency-Key and If-Match helpers, and problem details (RFC 9457) as
 * a typed error. For reads, `ETag` and `If-None-Match` work as in any browser cache: send
 * the tag back and an unchanged answer is a 304 without a body.
 *
 * ```ts
 * const api = createVeiviserClient({ baseUrl: "http://127.0.0.1:8080", token, language: "nb" });
 * const { data, error } = await api.POST("/participants", {
 *   params: { header: { "Idempotency-Key": newIdempotencyKey() } },
 *   body: { given_name: "Selam", family_name: "Tesfaye", birth_date: "1992-05-17", national_id },
 * });
 * if (error) console.log(error.code); // e.g. "validation-error", typed as a Problem
 * ```
 */

import createClient, { type Client, type Middleware } from "openapi-fetch";

import { SEGMENT_OWNERS, SERVICES, type Service } from "./routes.js";
import type { components, paths } from "./schema.js";

export type { components, operations, paths } from "./schema.js";
export { SEGMENT_OWNERS, SERVICES, type Service } from "./routes.js";

/** A problem-details body (RFC 9457) as every Veiviser error answers it. */
export type Problem = components["schemas"]["ProblemDetails"];

/** The languages the API answers in (`Accept-Language`): bokmål, nynorsk, English. */
export type Language = "nb" | "nn" | "en";

/** The typed client: `api.GET("/participants/{participant_id}", { params: ... })`. */
export type VeiviserClient = Client<paths>;

/** A bearer token, or a function that returns a fresh one (called for every request). */
export type TokenSource = string | (() => string | Promise<string>);

export interface VeiviserClientOptions {
  /**
   * The gateway's URL (one entry point for the whole API), e.g. `http://127.0.0.1:8080`.
   * Give either this or `services`.
   */
  baseUrl?: string;
  /**
   * One URL per service, for a stack without a gateway (`make run`): each request goes to
   * the service that owns its path's first segment, and `/_services/{service}/...` to that
   * service with the prefix taken off, as the gateway would.
   */
  services?: Partial<Record<Service, string>>;
  /** Sent as `Authorization: Bearer <token>` on every request. */
  token?: TokenSource;
  /** Sent as `Accept-Language`: the language of labels and problem texts (default: nb). */
  language?: Language;
  /** Headers sent on every request (a request's own headers win). */
  headers?: Record<string, string>;
  /** A fetch to use instead of the global one (tests, retries, instrumentation). */
  fetch?: (request: Request) => Promise<Response>;
}

/** The placeholder origin the per-service router replaces; never contacted. */
const SERVICES_ORIGIN = "http://veiviser-services.invalid";

/**
 * A client for the Veiviser API, typed by the OpenAPI document.
 *
 * Every call answers `{ data, error, response }`: `data` when the status is 2xx, otherwise
 * `error`, typed as the operation's documented error body (a {@link Problem}).
 */
export function createVeiviserClient(options: VeiviserClientOptions): VeiviserClient {
  const baseFetch = options.fetch ?? ((request: Request) => globalThis.fetch(request));
  let baseUrl: string;
  let fetchImpl: (request: Request) => Promise<Response>;
  if (options.services !== undefined) {
    if (options.baseUrl !== undefined) {
      throw new Error("createVeiviserClient: give baseUrl (a gateway) or services, not both");
    }
    baseUrl = SERVICES_ORIGIN;
    fetchImpl = routeToServices(options.services, baseFetch);
  } else if (options.baseUrl !== undefined) {
    baseUrl = options.baseUrl;
    fetchImpl = baseFetch;
  } else {
    throw new Error("createVeiviserClient: give baseUrl (the gateway) or services");
  }
  const client = createClient<paths>({ baseUrl, fetch: fetchImpl });
  client.use(defaultHeaders(options));
  return client;
}

function defaultHeaders(options: VeiviserClientOptions): Middleware {
  return {
    async onRequest({ request }) {
      for (const [name, value] of Object.entries(options.headers ?? {})) {
        if (!request.headers.has(name)) request.headers.set(name, value);
      }
      if (options.token !== undefined && !request.headers.has("Authorization")) {
        const token = typeof options.token === "function" ? await options.token() : options.token;
        request.headers.set("Authorization", `Bearer ${token}`);
      }
      if (!request.headers.has("Accept-Language")) {
        request.headers.set("Accept-Language", options.language ?? "nb");
      }
      return request;
    },
  };
}

/** The service a path belongs to, and the path that service answers it under. */
export function serviceFor(path: string): { service: Service; path: string } {
  const segments = path.split("/");
  const first = segments[1] ?? "";
  if (first === "_services") {
    const service = segments[2] as Service;
    if (!SERVICES.includes(service)) throw new Error(`no such service in ${path}`);
    return { service, path: "/" + segments.slice(3).join("/") };
  }
  const service = SEGMENT_OWNERS[first];
  if (service === undefined) throw new Error(`no service owns the path ${path}`);
  return { service, path };
}

function routeToServices(
  services: Partial<Record<Service, string>>,
  baseFetch: (request: Request) => Promise<Response>,
): (request: Request) => Promise<Response> {
  return async (request) => {
    const url = new URL(request.url);
    const target = serviceFor(url.pathname);
    const base = services[target.service];
    if (base === undefined) {
      throw new Error(`no URL given for the ${target.service} service (options.services)`);
    }
    const routed = base.replace(/\/+$/, "") + target.path + url.search;
    // A Request's URL cannot change; a new one carries the same method, headers and body.
    const body = request.body === null ? null : await request.arrayBuffer();
    return baseFetch(
      new Request(routed, {
        method: request.method,
        headers: request.headers,
        body,
        signal: request.signal,
        credentials: request.credentials,
        redirect: request.redirect,
        cache: request.cache,
      }),
    );
  };
}

/** A fresh key for a command's `Idempotency-Key`: a retry with the same key is answered
 * with the first answer instead of being carried out twice. Keep it for the retries. */
export function newIdempotencyKey(): string {
  return globalThis.crypto.randomUUID();
}

/** The `If-Match` value for "only if the record is still at this version": the `version`
 * of a body you read, or a command's `Stream-Version` (see {@link streamVersion}). */
export function ifMatch(version: number): string {
  return `"${version}"`;
}

/** The version a command left its record at (`Stream-Version`), or undefined.
 * (An `ETag` is not a version: it is a hash of the answer, for `If-None-Match`.) */
export function streamVersion(response: Response): number | undefined {
  const raw = response.headers.get("Stream-Version");
  return raw !== null && /^\d+$/.test(raw.trim()) ? Number(raw) : undefined;
}

/** Whether a value is a problem-details body (what every Veiviser 4xx and 5xx carries). */
export function isProblem(value: unknown): value is Problem {
  if (typeof value !== "object" || value === null) return false;
  const body = value as Record<string, unknown>;
  return (
    typeof body.type === "string" &&
    typeof body.title === "string" &&
    typeof body.status === "number"
  );
}

/** An error answer as an exception: the problem's `code` (`version-conflict`,
 * `validation-error`, a rule code such as `already-settled`), status and body. */
export class ProblemError extends Error {
  readonly problem: Problem;
  readonly status: number;
  readonly code: string | undefined;

  constructor(problem: Problem) {
    super(`${problem.status} ${problem.code ?? problem.type}: ${problem.detail_en ?? problem.detail}`);
    this.name = "ProblemError";
    this.problem = problem;
    this.status = problem.status;
    this.code = problem.code ?? undefined;
  }
}

/** A call's answer or its error thrown as a {@link ProblemError}, for code that prefers
 * exceptions: `const created = unwrap(await api.POST("/participants", {...}))`. */
export function unwrap<Data>(
  result:
    | { data: Data; error?: never; response: Response }
    | { data?: never; error: unknown; response: Response },
): Data {
  if (result.error === undefined) return result.data as Data;
  if (isProblem(result.error)) throw new ProblemError(result.error);
  throw new Error(`${result.response.status} without problem details: ${String(result.error)}`);
}
