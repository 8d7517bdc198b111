import type { ProvisioningFetchEvent } from "../observe/events.js";

/** What a server reports about one fetch; the service stamps it into a provisioning.fetch event. */
export type FetchOutcome = Omit<ProvisioningFetchEvent, "type" | "at">;
