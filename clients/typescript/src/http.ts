// The transport: one `fetch` per call, typed by the document's paths and methods.
import { type Camel, toCamel, toSnake } from "./case.js";
import { ConnectionError, errorFor, IdentityOSError } from "./errors.js";
import type { ErrorDetails, RequestOptions, WireBody, WireMethod, WireOk, WirePath, WireQuery } from "./types.js";
import type { components } from "./wire.js";

/** Options of `new IdentityOS(…)`. */
export interface ClientOptions {
  /** An `idos_sk_…` key, sent as `Authorization: Bearer <apiKey>`. */
  apiKey: string;
  /**
   * The server, without the API's `/v1` (a trailing `/v1` is tolerated and dropped).
   * Default `http://127.0.0.1:8000`, the server's default address.
   */
  baseUrl?: string;
  /** Per-call time limit in milliseconds (default 30000; 0 = none). */
  timeoutMs?: number;
  /** The `fetch` to use (default: the global one). */
  fetch?: typeof fetch;
  /** Extra headers sent with every call. */
  headers?: Record<string, string>;
}

export const DEFAULT_BASE_URL = "http://127.0.0.1:8000";
const DEFAULT_TIMEOUT_MS = 30_000;

/** Path parameters: every `{name}` of the path. */
type PathParams<P extends string> = P extends `${string}{${infer Name}}${infer Rest}`
  ? { [K in Name | keyof PathParams<Rest>]: string }
  : object;

/** A call's inputs, in the SDK's camelCase shape (converted to the wire's on the way out). */
export type CallArgs<P extends WirePath, M extends WireMethod<P>> = {
  path?: PathParams<P & string>;
  query?: Camel<WireQuery<P, M>>;
  body?: Camel<WireBody<P, M>>;
  options?: RequestOptions;
};

type WireEnvelope = components["schemas"]["Envelope"];

/** Seconds from a `Retry-After` header (delta-seconds or an HTTP date). */
function retryAfterHeader(value: string | null): number | null {
  if (value === null || value.trim() === "") return null;
  const s = Number(value);
  if (Number.isFinite(s)) return Math.max(0, Math.ceil(s));
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - Date.now()) / 1000));
}

function isEnvelope(v: unknown): v is WireEnvelope {
  return (
    typeof v === "object" &&
    v !== null &&
    typeof (v as { error?: unknown }).error === "string" &&
    typeof (v as { message?: unknown }).message === "string"
  );
}

export class Http {
  readonly baseUrl: string;
  readonly #apiKey: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  readonly #headers: Record<string, string>;

  constructor(options: ClientOptions) {
    if (!options || typeof options.apiKey !== "string" || options.apiKey === "") {
      throw new TypeError("IdentityOS: `apiKey` is required (an idos_sk_… key)");
    }
    this.#apiKey = options.apiKey;
    this.baseUrl = (options.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, "").replace(/\/v1$/, "");
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (typeof (options.fetch ?? globalThis.fetch) !== "function") {
      throw new TypeError("IdentityOS: no fetch available (Node >= 20 has a global one; or pass `fetch`)");
    }
    // (Unbound: some runtimes refuse `fetch` called as a method of another object.)
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.#headers = { ...(options.headers ?? {}) };
  }

  /**
   * Calls `method path` and returns its decoded 2xx body in the SDK's shape. The body is
   * typed as the document says (it is not validated at run time).
   */
  async call<P extends WirePath, M extends WireMethod<P>>(
    method: M,
    path: P,
    args: CallArgs<P, M> = {},
  ): Promise<Camel<WireOk<P, M>>> {
    const url = this.#url(path, args.path as Record<string, string> | undefined, args.query);
    const headers: Record<string, string> = {
      Accept: "application/json",
      ...this.#headers,
      Authorization: `Bearer ${this.#apiKey}`,
    };
    let body: string | undefined;
    if (args.body !== undefined) {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(toSnake(args.body));
    }
    if (args.options?.requestId) headers["X-Request-Id"] = args.options.requestId;

    const { signal, done } = this.#signal(args.options?.signal);
    let res: Response;
    try {
      res = await this.#fetch(url, { method: method.toUpperCase(), headers, body, signal, redirect: "error" });
    } catch (err) {
      done();
      throw this.#transportError(err, args.options?.signal);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw this.#transportError(err, args.options?.signal);
    } finally {
      done();
    }
    const requestId = res.headers.get("x-request-id");
    let decoded: unknown = undefined;
    try {
      decoded = text === "" ? undefined : JSON.parse(text);
    } catch {
      /* not JSON: handled below */
    }

    if (!res.ok) {
      const env = isEnvelope(decoded) ? decoded : null;
      const details = env?.details ? (toCamel(env.details) as ErrorDetails) : null;
      throw errorFor({
        status: res.status,
        code: env?.error ?? `http_${res.status}`,
        message: env?.message ?? (res.statusText || `HTTP ${res.status}`),
        details,
        requestId,
        retryAfter: env?.retry_after ?? retryAfterHeader(res.headers.get("retry-after")),
        body: decoded ?? text,
      });
    }
    if (decoded === null || typeof decoded !== "object" || !("data" in decoded)) {
      throw new IdentityOSError({
        status: res.status,
        code: "invalid_response",
        message: `${method.toUpperCase()} ${path}: the answer is not a {"data": …} JSON body`,
        requestId,
        body: text,
      });
    }
    return toCamel(decoded) as Camel<WireOk<P, M>>;
  }

  #url(path: string, params: Record<string, string> | undefined, query: object | undefined): string {
    const filled = path.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const v = params?.[name];
      if (typeof v !== "string" || v === "") throw new TypeError(`IdentityOS: \`${name}\` must be a non-empty string`);
      return encodeURIComponent(v);
    });
    const search = new URLSearchParams();
    if (query) {
      for (const [k, v] of Object.entries(toSnake(query) as Record<string, unknown>)) {
        if (v !== undefined && v !== null) search.append(k, String(v));
      }
    }
    const qs = search.toString();
    return `${this.baseUrl}${filled}${qs ? `?${qs}` : ""}`;
  }

  /** The call's signal: the caller's, and the timeout. */
  #signal(user: AbortSignal | undefined): { signal: AbortSignal | undefined; done: () => void } {
    if (this.#timeoutMs <= 0) return { signal: user, done: () => {} };
    const ctl = new AbortController();
    const timer = setTimeout(() => {
      ctl.abort(new ConnectionError({ status: 0, code: "timeout", message: `no answer within ${this.#timeoutMs} ms` }));
    }, this.#timeoutMs);
    const onAbort = () => ctl.abort(user?.reason);
    if (user) {
      if (user.aborted) onAbort();
      else user.addEventListener("abort", onAbort, { once: true });
    }
    return {
      signal: ctl.signal,
      done: () => {
        clearTimeout(timer);
        user?.removeEventListener("abort", onAbort);
      },
    };
  }

  #transportError(err: unknown, user: AbortSignal | undefined): unknown {
    if (user?.aborted) return user.reason ?? err; // the caller aborted: theirs to handle
    if (err instanceof IdentityOSError) return err;
    if (err instanceof Error && err.name === "AbortError" && err.cause instanceof IdentityOSError) return err.cause;
    return new ConnectionError({
      status: 0,
      code: "connection_error",
      message: `could not reach ${this.baseUrl}: ${err instanceof Error ? err.message : String(err)}`,
      cause: err,
    });
  }
}
