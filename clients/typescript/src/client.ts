import { type ClientOptions, Http } from "./http.js";
import { Engine } from "./resources/engine.js";
import { Instances } from "./resources/instances.js";
import { Personas } from "./resources/personas.js";
import { PersonalityTest } from "./resources/test.js";

/**
 * The Identity OS client.
 *
 * ```ts
 * const client = new IdentityOS({ apiKey: "idos_sk_…" }); // baseUrl: http://127.0.0.1:8000
 * const instance = await client.instances.create({ name: "Aria" });
 * ```
 */
export class IdentityOS {
  /** Create, read, change, delete and run instances. */
  readonly instances: Instances;
  /** Process observations; read state, contracts, history and drift; reset. */
  readonly engine: Engine;
  /** The twelve personas. */
  readonly personas: Personas;
  /** The personality test. */
  readonly test: PersonalityTest;
  /** The server the client talks to (without `/v1`). */
  readonly baseUrl: string;

  constructor(options: ClientOptions) {
    const http = new Http(options);
    this.baseUrl = http.baseUrl;
    this.instances = new Instances(http);
    this.engine = new Engine(http);
    this.personas = new Personas(http);
    this.test = new PersonalityTest(http);
  }
}
