import type { Http } from "../http.js";
import type {
  CreateInstanceParams,
  DeletedInstance,
  DeleteInstanceParams,
  Instance,
  ListInstancesParams,
  Page,
  RequestOptions,
  UpdateInstanceParams,
} from "../types.js";

/** `client.instances`: create, read, change, delete and run instances (API.md §2). */
export class Instances {
  readonly #http: Http;
  constructor(http: Http) {
    this.#http = http;
  }

  /** `POST /v1/instances`: a new instance (`name` required). */
  async create(params: CreateInstanceParams, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("post", "/v1/instances", { body: params, options })).data;
  }

  /** `GET /v1/instances`: a page of the account's instances (newest first by default). */
  async list(params: ListInstancesParams = {}, options?: RequestOptions): Promise<Page<Instance>> {
    return this.#http.call("get", "/v1/instances", { query: params, options });
  }

  /** `GET /v1/instances/{id}`. */
  async get(id: string, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("get", "/v1/instances/{id}", { path: { id }, options })).data;
  }

  /** `PATCH /v1/instances/{id}`: change `name`, `description`, `user`, `metadata` or `cycleCap`. */
  async update(id: string, params: UpdateInstanceParams, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("patch", "/v1/instances/{id}", { path: { id }, body: params, options })).data;
  }

  /**
   * `DELETE /v1/instances/{id}`: gone from every endpoint at once; restorable until
   * `restorableUntil`, or never with `{ purge: true }`.
   */
  async delete(id: string, params: DeleteInstanceParams = {}, options?: RequestOptions): Promise<DeletedInstance> {
    return (await this.#http.call("delete", "/v1/instances/{id}", { path: { id }, query: params, options })).data;
  }

  /** `POST /v1/instances/{id}/restore`: bring back a deleted instance within the retention window. */
  async restore(id: string, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("post", "/v1/instances/{id}/restore", { path: { id }, options })).data;
  }

  /** `POST /v1/instances/{id}/stop`: processing answers 409 (`instance_stopped`) until `start`. */
  async stop(id: string, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("post", "/v1/instances/{id}/stop", { path: { id }, options })).data;
  }

  /** `POST /v1/instances/{id}/start`: undo `stop`. */
  async start(id: string, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("post", "/v1/instances/{id}/start", { path: { id }, options })).data;
  }

  /** `POST /v1/instances/{id}/restart`: recreate the instance's actor from stored state. */
  async restart(id: string, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("post", "/v1/instances/{id}/restart", { path: { id }, options })).data;
  }

  /** `POST /v1/instances/{id}/update`: move the instance to the newest engine version, keeping its state. */
  async updateEngine(id: string, options?: RequestOptions): Promise<Instance> {
    return (await this.#http.call("post", "/v1/instances/{id}/update", { path: { id }, options })).data;
  }
}
