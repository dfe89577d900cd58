export { IdentityOS } from "./client.js";
export { type ClientOptions, DEFAULT_BASE_URL } from "./http.js";
export { Mode } from "./mode.js";
export {
  AuthenticationError,
  BadRequestError,
  ConflictError,
  ConnectionError,
  type ErrorInit,
  IdentityOSError,
  NotFoundError,
  RateLimitError,
  ServiceUnavailableError,
} from "./errors.js";
export type { Camel, JsonObject } from "./case.js";
export type * from "./types.js";
export type { Engine } from "./resources/engine.js";
export type { Instances } from "./resources/instances.js";
export type { Personas } from "./resources/personas.js";
export type { PersonalityTest } from "./resources/test.js";
/** The generated wire types (snake_case, exactly as the server's /openapi.json says). */
export type * as wire from "./wire.js";
