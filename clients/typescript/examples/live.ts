/**
 * The typed client against a running stack: register a participant, settle them, read them
 * back, then a stale If-Match (409 `version-conflict`, reloaded and retried) and bad input
 * (422 `validation-error`), each told apart by the problem's `code`.
 *
 * Every step prints one JSON line (ids, versions, codes; no personal data). Exits 1 when an
 * answer is not the expected one.
 *
 *   npm run build && VEIVISER_TOKEN=$(veiviser token --role caseworker) \
 *     VEIVISER_GATEWAY_URL=http://127.0.0.1:8080 node build/examples/live.js
 *
 * Without a gateway (`make run`) give each service's URL instead of VEIVISER_GATEWAY_URL:
 * VEIVISER_PARTICIPANTS_URL=http://127.0.0.1:8001 (and _HOUSING_, _MATCHING_, _INDICATORS_).
 */

import {
  createVeiviserClient,
  ifMatch,
  isProblem,
  newIdempotencyKey,
  SERVICES,
  streamVersion,
  unwrap,
  type components,
  type Service,
} from "../src/index.js";

declare const process: {
  env: Record<string, string | undefined>;
  exitCode: number | undefined;
};

type Registration = components["schemas"]["RegisterParticipant"];

function emit(step: string, fields: Record<string, unknown>): void {
  console.log(JSON.stringify({ step, ...fields }));
}

function fail(step: string, why: string, answer?: unknown): never {
  emit("failed", { at: step, why, answer });
  throw new Error(`${step}: ${why}`);
}

/** A valid D-number (day + 40) for `birth`, check digits by the mod-11 rule; another
 * individual number is drawn when a check digit would be 10. */
function dNumber(birth: Date): string {
  const w1 = [3, 7, 6, 1, 8, 9, 4, 5, 2];
  const w2 = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];
  const check = (digits: number[], weights: number[]): number => {
    const sum = weights.reduce((total, weight, i) => total + weight * (digits[i] ?? 0), 0);
    return (11 - (sum % 11)) % 11;
  };
  for (;;) {
    const individual = Math.floor(Math.random() * 500); // 000-499: born in the 1900s
    const base =
      String(birth.getUTCDate() + 40).padStart(2, "0") +
      String(birth.getUTCMonth() + 1).padStart(2, "0") +
      String(birth.getUTCFullYear() % 100).padStart(2, "0") +
      String(individual).padStart(3, "0");
    const digits = [...base].map(Number);
    const k1 = check(digits, w1);
    if (k1 === 10) continue;
    const k2 = check([...digits, k1], w2);
    if (k2 === 10) continue;
    return `${base}${k1}${k2}`;
  }
}

function clientFromEnvironment() {
  const token = process.env.VEIVISER_TOKEN;
  if (!token) throw new Error("set VEIVISER_TOKEN (veiviser token --role caseworker)");
  const gateway = process.env.VEIVISER_GATEWAY_URL;
  if (gateway) return createVeiviserClient({ baseUrl: gateway, token, language: "en" });
  const services: Partial<Record<Service, string>> = {};
  for (const service of SERVICES) {
    const url = process.env[`VEIVISER_${service.toUpperCase()}_URL`];
    if (url) services[service] = url;
  }
  if (!services.participants) {
    throw new Error("set VEIVISER_GATEWAY_URL, or VEIVISER_PARTICIPANTS_URL (and the others)");
  }
  return createVeiviserClient({ services, token, language: "en" });
}

async function main(): Promise<void> {
  const api = clientFromEnvironment();

  // 0. A path every service has, as the gateway exposes it: /_services/{service}/...
  const health = await api.GET("/_services/participants/healthz");
  emit("healthz", { status: health.response.status });
  if (!health.response.ok) fail("healthz", "the participants service is not healthy");

  // Someone born 1970-1999, so a shared development stack seldom sees the number twice.
  const birth = new Date(Date.UTC(1970 + Math.floor(Math.random() * 30), 0, 1));
  birth.setUTCDate(1 + Math.floor(Math.random() * 365));
  const person: Registration = {
    given_name: "Selam",
    family_name: "Tesfaye",
    birth_date: birth.toISOString().slice(0, 10),
    national_id: dNumber(birth),
  };

  // 1. Register, with an Idempotency-Key; the same key again gets the same participant.
  const key = newIdempotencyKey();
  const register = () =>
    api.POST("/participants", { params: { header: { "Idempotency-Key": key } }, body: person });
  const first = await register();
  const registered = unwrap(first);
  emit("registered", {
    status: first.response.status,
    id: registered.id,
    version: registered.version,
    location: first.response.headers.get("Location"),
  });
  const again = unwrap(await register());
  emit("register-retried", { id: again.id, same: again.id === registered.id });
  if (again.id !== registered.id) fail("register-retried", "a second participant was created");

  // 2. Settle at the version just registered.
  const participant = { participant_id: registered.id };
  const settledAnswer = await api.POST("/participants/{participant_id}/settlement", {
    params: {
      path: participant,
      header: { "Idempotency-Key": newIdempotencyKey(), "if-match": ifMatch(registered.version) },
    },
    body: { settled_on: "2025-09-01", arrival_category: "resettlement_refugee" },
  });
  const settled = unwrap(settledAnswer);
  emit("settled", {
    status: settledAnswer.response.status,
    version: settled.version,
    stream_version: streamVersion(settledAnswer.response) ?? null,
    participant_status: settled.status,
    household_size: settled.household_size,
  });

  // 3. Read back; the same read with the answer's ETag in If-None-Match is a 304 (no body).
  const readPath = { params: { path: participant } };
  const read = await api.GET("/participants/{participant_id}", readPath);
  const view = unwrap(read);
  const etag = read.response.headers.get("ETag");
  emit("read", {
    id: view.id,
    participant_status: view.status,
    version: view.version,
    settled_on: view.settled_on,
  });
  if (etag === null) fail("read", "the answer has no ETag");
  const unchanged = await api.GET("/participants/{participant_id}", {
    ...readPath,
    headers: { "If-None-Match": etag },
  });
  emit("not-modified", { status: unchanged.response.status });

  // 4. A change at a version that is no longer current: 409 `version-conflict`. The problem
  // names the current version; reload (here: take it from the problem) and retry.
  const change = (version: number) =>
    api.PATCH("/participants/{participant_id}/personal-details", {
      params: { path: participant, header: { "if-match": ifMatch(version) } },
      body: { phone: "+47 400 00 000" },
    });
  const stale = await change(registered.version);
  if (stale.error === undefined) fail("conflict", "a stale If-Match was accepted", stale.data);
  if (!isProblem(stale.error) || stale.error.code !== "version-conflict") {
    fail("conflict", "expected the problem code version-conflict", stale.error);
  }
  const current = stale.error.current_version;
  emit("conflict", {
    status: stale.response.status,
    code: stale.error.code,
    current_version: current,
  });
  if (typeof current !== "number") fail("conflict", "the problem names no current_version");
  const retried = unwrap(await change(current));
  emit("conflict-retried", { version: retried.version });

  // 5. Bad input: a national id that is not one, and a birth date that is not a date.
  const bad = await api.POST("/participants", {
    body: { ...person, national_id: "12345678901", birth_date: "17.05.1992" },
  });
  if (bad.error === undefined) fail("invalid", "bad input was accepted", bad.data);
  if (!isProblem(bad.error) || bad.error.code !== "validation-error") {
    fail("invalid", "expected the problem code validation-error", bad.error);
  }
  const errors = bad.error.errors ?? [];
  emit("invalid", {
    status: bad.response.status,
    code: bad.error.code,
    fields: errors.map((error) => error.field).sort(),
  });

  emit("done", { id: registered.id });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
