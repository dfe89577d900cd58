import type { Http } from "../http.js";
import type {
  BatchFinalResult,
  BatchIntermediateResult,
  BatchParams,
  BatchResult,
  Contract,
  DriftEvent,
  DriftParams,
  HistoryEntry,
  HistoryParams,
  InstanceSnapshot,
  Observation,
  Trail,
  ProcessResult,
  RequestOptions,
  ResetParams,
  ResetResult,
} from "../types.js";

/** `client.engine`: observations in, state and execution contracts out (API.md §3). */
export class Engine {
  readonly #http: Http;
  constructor(http: Http) {
    this.#http = http;
  }

  /**
   * `POST /v1/instances/{id}/process`: one observation. Inside the throttle interval the
   * answer is the unchanged state with `throttled: true`.
   */
  async process(id: string, observation: Observation, options?: RequestOptions): Promise<ProcessResult> {
    return (await this.#http.call("post", "/v1/instances/{id}/process", { path: { id }, body: observation, options })).data;
  }

  /**
   * `POST /v1/instances/{id}/process/batch`: 1–100 observations applied in order, all or
   * none. With `includeIntermediate: true` the answer has every state (`states`).
   */
  processBatch(id: string, params: BatchParams & { includeIntermediate: true }, options?: RequestOptions): Promise<BatchIntermediateResult>;
  processBatch(id: string, params: BatchParams & { includeIntermediate?: false }, options?: RequestOptions): Promise<BatchFinalResult>;
  processBatch(id: string, params: BatchParams, options?: RequestOptions): Promise<BatchResult>;
  async processBatch(id: string, params: BatchParams, options?: RequestOptions): Promise<BatchResult> {
    return (await this.#http.call("post", "/v1/instances/{id}/process/batch", { path: { id }, body: params, options })).data;
  }

  /** `GET /v1/instances/{id}/snapshot`: the current state. */
  async snapshot(id: string, options?: RequestOptions): Promise<InstanceSnapshot> {
    return (await this.#http.call("get", "/v1/instances/{id}/snapshot", { path: { id }, options })).data;
  }

  /** `GET /v1/instances/{id}/contract`: the current execution contract. */
  async contract(id: string, options?: RequestOptions): Promise<Contract> {
    return (await this.#http.call("get", "/v1/instances/{id}/contract", { path: { id }, options })).data;
  }

  /** `POST /v1/instances/{id}/reset`: back to `initial`, `default` or `last_stable`. */
  async reset(id: string, params: ResetParams, options?: RequestOptions): Promise<ResetResult> {
    return (await this.#http.call("post", "/v1/instances/{id}/reset", { path: { id }, body: params, options })).data;
  }

  /** `GET /v1/instances/{id}/history`: processed observations, newest first. */
  async history(id: string, params: HistoryParams = {}, options?: RequestOptions): Promise<Trail<HistoryEntry>> {
    return this.#http.call("get", "/v1/instances/{id}/history", { path: { id }, query: params, options });
  }

  /** `GET /v1/instances/{id}/drift`: drift events (D1–D3), newest first. */
  async drift(id: string, params: DriftParams = {}, options?: RequestOptions): Promise<Trail<DriftEvent>> {
    return this.#http.call("get", "/v1/instances/{id}/drift", { path: { id }, query: params, options });
  }
}
