import type { ModeName } from "./types.js";

/**
 * The seven modes, as requests take them (`modeTarget: Mode.EXPLORATION`). The values are
 * the API's uppercase names; the build fails if they and the document's `Mode` enum part.
 */
export const Mode = {
  PERCEPTION: "PERCEPTION",
  EXPLORATION: "EXPLORATION",
  ORDER: "ORDER",
  ASSERTION: "ASSERTION",
  CONNECTION: "CONNECTION",
  IDENTITY: "IDENTITY",
  STRESS_RESPONSE: "STRESS_RESPONSE",
} as const satisfies { [K in Uppercase<ModeName>]: K };
// (`satisfies` above: every uppercase mode of the document is here, and nothing else is.)

/** One of `Mode`'s values. */
export type Mode = (typeof Mode)[keyof typeof Mode];
