// Runs @fal-ai/client through Playground's gateway, as a team's own server app would:
//
//   node tests/js/gateway.mjs <proxy URL> <access token> <scenario>
//
// The client keeps fal's real URLs (https://queue.fal.run/...) and sends every call to the
// proxy URL with `x-fal-target-url`, `when: "always"` (a server, not a browser). Prints ONE
// JSON line: {"ok": true, "scenario": ..., "result": {...}} or {"ok": false, "error": ...}.
// tests/gateway/test_official_client.py asserts on it.
import { createFalClient } from "@fal-ai/client";

const [proxyUrl, token, scenario] = process.argv.slice(2);
const APP = "fal-ai/flux/schnell";
const INPUT = { prompt: "a lighthouse through the gateway", image_size: { width: 64, height: 64 } };
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAGElEQVR4nAXBAQEAAAgCIOy5yw0yBgexPiGaA4MBoeIYAAAAAElFTkSuQmCC";

const targets = [];
const fal = createFalClient({
  credentials: token,
  proxyUrl: { url: proxyUrl, when: "always" },
  requestMiddleware: async (request) => {
    targets.push(request.headers?.["x-fal-target-url"] ?? request.url);
    return request;
  },
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const scenarios = {
  async run() {
    const { data, requestId } = await fal.run(APP, { input: INPUT });
    return { data, requestId };
  },

  async subscribe() {
    const outcome = {};
    for (const mode of ["polling", "streaming"]) {
      const updates = [];
      const { data, requestId } = await fal.subscribe(APP, {
        input: INPUT,
        logs: true,
        mode,
        pollInterval: 50,
        onQueueUpdate: (update) => updates.push({ status: update.status, logs: update.logs }),
      });
      outcome[mode] = { data, requestId, updates };
    }
    return outcome;
  },

  async queue() {
    const submitted = await fal.queue.submit(APP, { input: INPUT });
    const requestId = submitted.request_id;
    let status;
    for (let attempt = 0; attempt < 400; attempt++) {
      status = await fal.queue.status(APP, { requestId, logs: true });
      if (status.status === "COMPLETED") break;
      await sleep(25);
    }
    const result = await fal.queue.result(APP, { requestId });
    return { submitted, status, result };
  },

  async cancel() {
    const submitted = await fal.queue.submit(APP, { input: INPUT });
    let cancelled = "ok";
    try {
      await fal.queue.cancel(APP, { requestId: submitted.request_id });
    } catch (error) {
      cancelled = { status: error.status, body: error.body };
    }
    return { submitted, cancelled };
  },

  async stream() {
    const stream = await fal.stream(APP, { input: INPUT });
    const events = [];
    for await (const event of stream) events.push(event);
    return { events, done: await stream.done() };
  },

  async upload() {
    const blob = new Blob([Buffer.from(PNG_BASE64, "base64")], { type: "image/png" });
    const url = await fal.storage.upload(blob);
    const fetched = await fetch(url);
    const bytes = Buffer.from(await fetched.arrayBuffer());
    return { url, status: fetched.status, same: bytes.equals(Buffer.from(PNG_BASE64, "base64")) };
  },

  async token() {
    // What fal.realtime asks for before it connects: a short-lived token for one app.
    const response = await fetch(proxyUrl, {
      method: "POST",
      headers: {
        Authorization: `Key ${token}`,
        "Content-Type": "application/json",
        "x-fal-target-url": "https://rest.fal.ai/tokens/",
      },
      body: JSON.stringify({ allowed_apps: ["fast-lcm-diffusion"], token_expiration: 120 }),
    });
    return { status: response.status, token: await response.json() };
  },
};

try {
  const result = await scenarios[scenario]();
  console.log(JSON.stringify({ ok: true, scenario, result, targets }));
} catch (error) {
  console.log(
    JSON.stringify({
      ok: false,
      scenario,
      error: { name: error?.name, message: error?.message, status: error?.status, body: error?.body },
      targets,
    }),
  );
}
