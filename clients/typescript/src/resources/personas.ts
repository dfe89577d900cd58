import type { Http } from "../http.js";
import type { Page, Persona, RequestOptions } from "../types.js";

/** `client.personas`: the twelve personas (API.md §4). */
export class Personas {
  readonly #http: Http;
  constructor(http: Http) {
    this.#http = http;
  }

  /** `GET /v1/personas`: all twelve. */
  async list(options?: RequestOptions): Promise<Page<Persona>> {
    return this.#http.call("get", "/v1/personas", { options });
  }

  /** `GET /v1/personas/{id}` (`persona_analytical`, …). */
  async get(id: string, options?: RequestOptions): Promise<Persona> {
    return (await this.#http.call("get", "/v1/personas/{id}", { path: { id }, options })).data;
  }
}
