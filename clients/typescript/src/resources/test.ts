import type { Http } from "../http.js";
import type { QuestionsParams, RequestOptions, SubmitTestParams, TestQuestions, TestResult } from "../types.js";

/** `client.test`: the personality test (API.md §4). */
export class PersonalityTest {
  readonly #http: Http;
  constructor(http: Http) {
    this.#http = http;
  }

  /** `GET /v1/test/questions`: the questionnaire (`version` default `v1`). */
  async questions(params: QuestionsParams = {}, options?: RequestOptions): Promise<TestQuestions> {
    return (await this.#http.call("get", "/v1/test/questions", { query: params, options })).data;
  }

  /**
   * `POST /v1/test/submit`: score answers to every question; optionally apply the result
   * to an instance (`instanceId`) or create one (`createInstance: true`, `instanceName`).
   */
  async submit(params: SubmitTestParams, options?: RequestOptions): Promise<TestResult> {
    return (await this.#http.call("post", "/v1/test/submit", { body: params, options })).data;
  }
}
