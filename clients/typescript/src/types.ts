// The SDK's public types. Every one is derived from the generated wire types (src/wire.ts,
// from the server's /openapi.json) through `Camel<…>`; none is written out by hand, so a
// change in the document changes them (or breaks the build) instead of drifting.
import type { Camel } from "./case.js";
import type { components, paths } from "./wire.js";

type Schemas = components["schemas"];

// ---- operations, addressed by path and method as the document names them -------------

/** A `/v1` path of the document (`"/v1/instances/{id}"`, …). */
export type WirePath = keyof paths;
type HttpMethod = "get" | "post" | "patch" | "delete" | "put";
/** The methods the document defines on path `P`. */
export type WireMethod<P extends WirePath> = {
  [M in HttpMethod]: paths[P][M] extends undefined | never ? never : M;
}[HttpMethod];
/** The operation object of `M P`. */
export type WireOp<P extends WirePath, M extends WireMethod<P>> = NonNullable<paths[P][M]>;

type SuccessCode = 200 | 201 | 202 | 204;
type JsonContent<R> = R extends { content: { "application/json": infer B } } ? B : never;
/** The decoded body of the operation's 2xx answer. */
export type WireOk<P extends WirePath, M extends WireMethod<P>> = JsonContent<
  WireOp<P, M>["responses"][Extract<keyof WireOp<P, M>["responses"], SuccessCode>]
>;
/** The operation's query parameters (`{}` when it has none). */
export type WireQuery<P extends WirePath, M extends WireMethod<P>> =
  WireOp<P, M> extends { parameters: { query?: infer Q } } ? ([Q] extends [never | undefined] ? object : NonNullable<Q>) : object;
/** The operation's JSON request body (`never` when it has none). */
export type WireBody<P extends WirePath, M extends WireMethod<P>> =
  WireOp<P, M> extends { requestBody: { content: { "application/json": infer B } } }
    ? B
    : WireOp<P, M> extends { requestBody?: { content: { "application/json": infer B } } }
      ? B
      : never;

/** The `data` of the operation's answer, in the SDK's (camelCase) shape. */
type Data<P extends WirePath, M extends WireMethod<P>> = Camel<
  WireOk<P, M> extends { data: infer D } ? D : never
>;
/** One item of a list operation's `data`. */
type Item<P extends WirePath, M extends WireMethod<P>> = Data<P, M> extends readonly (infer I)[] ? I : never;

// ---- enums ------------------------------------------------------------------------------

/** A mode as requests take it (UPPERCASE; lowercase is accepted too). See `Mode`. */
export type ModeName = Schemas["Mode"];
export type StressState = Schemas["StressState"];
export type Action = Schemas["Action"];
export type DriftLevel = Schemas["DriftLevel"];
export type InstanceStatus = Schemas["Status"];
export type ResetMode = Schemas["ResetTarget"];

// ---- common -----------------------------------------------------------------------------

/** `pagination` of a list answer (`hasMore`: another page follows). */
export type Pagination = Camel<Schemas["Pagination"]>;
/** A page of a list: the items and where they sit in the whole list. */
export interface Page<T> {
  data: T[];
  pagination: Pagination;
}
/** A page of an instance's audit trail (history, drift events), and where the kept record
 * begins: entries before `keptSince` may have been dropped by the server's history
 * retention; null while nothing ever was. */
export interface Trail<T> extends Page<T> {
  keptSince: string | null;
}
/** The error envelope (`{error, message, details, retry_after}`), camelCased. */
export type ErrorEnvelope = Camel<Schemas["Envelope"]>;
/** The envelope's `error` codes, as the document lists them. */
export type ErrorCode = Schemas["Envelope"]["error"];
/** Codes the SDK itself gives when there is no envelope: no answer, a timeout, a non-JSON or odd answer. */
export type ClientErrorCode = "connection_error" | "timeout" | "invalid_response" | `http_${number}`;
/** `details` of an error: the field at fault (wire name, e.g. `observations[3].signal_strength`) and why. */
export type ErrorDetails = Camel<Schemas["Details"]>;
/** Per-call options. */
export interface RequestOptions {
  /** Aborts the call (the promise rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Sent as `X-Request-Id`; the server echoes it (and errors carry it as `requestId`). */
  requestId?: string;
}

// ---- instances --------------------------------------------------------------------------

/** An instance (API.md §2). */
export type Instance = Data<"/v1/instances/{id}", "get">;
export type CreateInstanceParams = Camel<WireBody<"/v1/instances", "post">>;
/** Only `name`, `description`, `user`, `metadata`, `cycleCap`; `null` clears `user`/`cycleCap`. */
export type UpdateInstanceParams = Camel<WireBody<"/v1/instances/{id}", "patch">>;
export type ListInstancesParams = Camel<WireQuery<"/v1/instances", "get">>;
export type DeleteInstanceParams = Camel<WireQuery<"/v1/instances/{id}", "delete">>;
export type DeletedInstance = Data<"/v1/instances/{id}", "delete">;
/** `initialConfig` of `instances.create` (mode strengths keyed by lowercase mode name). */
export type InitialConfig = Camel<Schemas["InitialConfig"]>;

// ---- engine -----------------------------------------------------------------------------

/** One observation (`modeTarget`, `signalStrength`, optional `confidence`, `context`, `timestamp`). */
export type Observation = Camel<WireBody<"/v1/instances/{id}/process", "post">>;
/** `engine.process`: the new snapshot, contract and drift, and `throttled`. */
export type ProcessResult = Data<"/v1/instances/{id}/process", "post">;
export type BatchParams = Camel<WireBody<"/v1/instances/{id}/process/batch", "post">>;
/** `engine.processBatch`: the final state, or every state with `includeIntermediate: true`. */
export type BatchResult = Data<"/v1/instances/{id}/process/batch", "post">;
export type BatchFinalResult = Exclude<BatchResult, { states: unknown }>;
export type BatchIntermediateResult = Extract<BatchResult, { states: unknown }>;
/** The engine state of one cycle (inside process results). */
export type Snapshot = Camel<Schemas["Snapshot"]>;
/** `engine.snapshot`: the snapshot plus `cycleCount`, `createdAt`, `updatedAt`. */
export type InstanceSnapshot = Data<"/v1/instances/{id}/snapshot", "get">;
export type Contract = Data<"/v1/instances/{id}/contract", "get">;
export type Drift = Camel<Schemas["Drift"]>;
export type ResetParams = Camel<WireBody<"/v1/instances/{id}/reset", "post">>;
export type ResetResult = Data<"/v1/instances/{id}/reset", "post">;
export type HistoryParams = Camel<WireQuery<"/v1/instances/{id}/history", "get">>;
export type HistoryEntry = Item<"/v1/instances/{id}/history", "get">;
export type DriftParams = Camel<WireQuery<"/v1/instances/{id}/drift", "get">>;
export type DriftEvent = Item<"/v1/instances/{id}/drift", "get">;

// ---- personas and the personality test -----------------------------------------------------

export type Persona = Data<"/v1/personas/{id}", "get">;
export type QuestionsParams = Camel<WireQuery<"/v1/test/questions", "get">>;
export type TestQuestions = Data<"/v1/test/questions", "get">;
export type Question = Camel<Schemas["Question"]>;
/** One answer: `{questionId, selectedOptionId}`. */
export type TestResponse = Camel<Schemas["ResponseIn"]>;
/**
 * `test.submit`'s body: `responses` (every question answered once, any order), `version`,
 * and at most one target (`instanceId`, or `createInstance: true` with `instanceName`);
 * the document says so as its fields and a `oneOf` of the three targets, which
 * openapi-typescript renders as `Base & (A | B | C)`.
 */
export type SubmitTestParams = Camel<WireBody<"/v1/test/submit", "post">>;
export type TestResult = Data<"/v1/test/submit", "post">;
