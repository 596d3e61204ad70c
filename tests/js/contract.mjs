// Runs one contract scenario of @fal-ai/client against the localfal emulator.
//
//   node tests/js/contract.mjs <emulator base URL> <scenario>
//
// The base is like http://127.0.0.1:8000/localfal. fal's hard-coded hosts are rewritten in a
// requestMiddleware (fal-protocol.md §12, option 1). Prints exactly ONE JSON line on stdout:
// {"ok": true, "scenario": ..., "result": {...}, "trace": [...]} or {"ok": false, "error": ...}.
// tests/contract/test_js_client.py asserts on it; scenarios are listed in
// tests/contract/scenarios.md.
import { randomUUID } from "node:crypto";

import { createFalClient } from "@fal-ai/client";

const [base, scenario] = process.argv.slice(2);
const APP = "fal-ai/flux/schnell";
const PROMPT = "a lighthouse on a cliff, contract test";
const SMALL = { width: 64, height: 64 };
// A 2x2 RGBA PNG, small enough to inline.
const PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAYAAABytg0kAAAAGElEQVR4nAXBAQEAAAgCIOy5yw0yBgexPiGaA4MBoeIYAAAAAElFTkSuQmCC";

const HOSTS = {
  "fal.run": "/run",
  "queue.fal.run": "/queue",
  "rest.fal.ai": "/rest",
  "rest.alpha.fal.ai": "/rest",
};

// Every request the client made through its middleware (the storage PUT bypasses it).
const trace = [];

function rewrite(url) {
  const parsed = new URL(url);
  const prefix = HOSTS[parsed.host];
  if (parsed.protocol !== "https:" || prefix === undefined) {
    return url;
  }
  return `${base}${prefix}${parsed.pathname}${parsed.search}`;
}

function makeClient(extraHeaders = {}) {
  return createFalClient({
    credentials: "local:test",
    requestMiddleware: async (request) => {
      const url = rewrite(request.url);
      const headers = { ...(request.headers ?? {}), ...extraHeaders };
      trace.push({ method: request.method, url, headers });
      return { ...request, url, headers };
    },
  });
}

function slowHeaders(seconds) {
  return { "X-Localfal-Fault": `app:slow=${seconds},key=${randomUUID()}` };
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function describeError(error) {
  if (!error || typeof error !== "object") {
    return { name: typeof error, message: String(error) };
  }
  const described = {
    name: error.name,
    message: error.message,
    status: error.status,
    body: error.body,
    requestId: error.requestId,
  };
  if (error.name === "ValidationError") {
    described.fieldErrors = error.fieldErrors;
    described.promptErrors = error.getFieldErrors("prompt");
  }
  return described;
}

async function caught(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error: describeError(error) };
  }
}

function summarize(status) {
  return {
    status: status.status,
    queue_position: status.queue_position,
    logs: Array.isArray(status.logs) ? status.logs.map((entry) => entry.message) : status.logs,
    error: status.error,
    error_type: status.error_type,
  };
}

async function waitForStatus(fal, requestId, wanted, { logs = false } = {}) {
  const seen = [];
  for (let attempt = 0; attempt < 400; attempt++) {
    const status = await fal.queue.status(APP, { requestId, logs });
    seen.push(summarize(status));
    if (wanted.includes(status.status)) {
      return { status, seen };
    }
    await sleep(25);
  }
  throw new Error(`request ${requestId} never reached ${wanted.join("/")}`);
}

const scenarios = {
  async run() {
    const fal = makeClient();
    const { data, requestId } = await fal.run(APP, {
      input: { prompt: PROMPT, image_size: { width: 256, height: 192 } },
    });
    return { data, requestId };
  },

  async subscribe() {
    const outcome = {};
    for (const mode of ["polling", "streaming"]) {
      const fal = makeClient(slowHeaders(1));
      const updates = [];
      let enqueued = null;
      const { data, requestId } = await fal.subscribe(APP, {
        input: { prompt: PROMPT, image_size: SMALL },
        logs: true,
        mode,
        pollInterval: 100,
        onEnqueue: (id) => {
          enqueued = id;
        },
        onQueueUpdate: (update) => updates.push(summarize(update)),
      });
      outcome[mode] = { enqueued, requestId, updates, data };
    }
    return outcome;
  },

  async queue() {
    const fal = makeClient(slowHeaders(0.5));
    const submitted = await fal.queue.submit(APP, {
      input: { prompt: PROMPT, image_size: SMALL },
      // This server itself: the emulator calls no other private address back.
      webhookUrl: `${new URL(base).origin}/contract-hook?a=1`,
      priority: "low",
      hint: "contract-tests",
      startTimeout: 30,
    });
    const requestId = submitted.request_id;
    const statuses = [];
    for (let attempt = 0; attempt < 400; attempt++) {
      const status = await fal.queue.status(APP, { requestId, logs: true });
      statuses.push(summarize(status));
      if (status.status === "COMPLETED") break;
      await sleep(50);
    }
    const result = await fal.queue.result(APP, { requestId });
    return { submitted, statuses, result };
  },

  async cancel() {
    // Each request stays in the model for ~5 s: keep submitting until every runner is busy
    // and the newest request waits in the queue.
    const fal = makeClient(slowHeaders(5));
    const input = { prompt: PROMPT, image_size: SMALL, num_inference_steps: 12 };
    const ids = [(await fal.queue.submit(APP, { input })).request_id];
    await waitForStatus(fal, ids[0], ["IN_PROGRESS", "COMPLETED"]);
    const latest = async () => (await fal.queue.status(APP, { requestId: ids.at(-1) })).status;
    while ((await latest()) !== "IN_QUEUE" && ids.length < 8) {
      ids.push((await fal.queue.submit(APP, { input })).request_id);
      await sleep(100); // a free runner picks a new request up at once
    }
    const before = [];
    for (const requestId of ids) {
      before.push(summarize(await fal.queue.status(APP, { requestId })));
    }
    const cancels = [];
    for (const requestId of ids) {
      const { error } = await caught(fal.queue.cancel(APP, { requestId }));
      cancels.push(error ? { ok: false, error } : { ok: true });
    }
    const after = [];
    const results = [];
    for (const requestId of ids) {
      const { status } = await waitForStatus(fal, requestId, ["COMPLETED"]);
      after.push(summarize(status));
      const { value, error } = await caught(fal.queue.result(APP, { requestId }));
      results.push(error ? { error } : { data: value.data });
    }
    return { ids, before, cancels, after, results };
  },

  async stream() {
    const fal = makeClient(slowHeaders(0.5));
    const stream = await fal.stream(APP, { input: { prompt: PROMPT, image_size: SMALL } });
    const events = [];
    for await (const event of stream) {
      events.push(event);
    }
    const done = await stream.done();
    return { events, done, requestId: stream.requestId };
  },

  async upload() {
    const fal = makeClient();
    const text = `hello from the JS contract test ${randomUUID()}`;
    const textUrl = await fal.storage.upload(new Blob([text], { type: "text/plain" }));
    const png = Buffer.from(PNG_BASE64, "base64");
    const pngUrl = await fal.storage.upload(new Blob([png], { type: "image/png" }));
    return {
      text: { url: textUrl, sent_base64: Buffer.from(text).toString("base64") },
      png: { url: pngUrl, sent_base64: PNG_BASE64 },
    };
  },

  async errors() {
    const fal = makeClient();
    const invalid = await caught(fal.run(APP, { input: { prompt: 42 } }));
    const missing = await caught(fal.subscribe(APP, { input: { image_size: SMALL } }));
    const unknown = await caught(
      fal.run("fal-ai/no-such-model-for-contract", { input: { prompt: PROMPT } }),
    );
    const faultKey = randomUUID();
    const flaky = makeClient({ "X-Localfal-Fault": `submit:503*1,key=${faultKey}` });
    const retried = await caught(
      flaky.subscribe(APP, { input: { prompt: PROMPT, image_size: SMALL }, pollInterval: 100 }),
    );
    return {
      invalid,
      missing,
      unknown,
      retried: { ...retried, faultKey },
    };
  },
};

async function main() {
  if (!base || !(scenario in scenarios)) {
    const names = Object.keys(scenarios).join("|");
    throw new Error(`usage: node contract.mjs <emulator base URL> <${names}>`);
  }
  return scenarios[scenario]();
}

main().then(
  (result) => {
    process.stdout.write(`${JSON.stringify({ ok: true, scenario, result, trace })}\n`);
  },
  (error) => {
    const failure = { ok: false, scenario, error: describeError(error), trace };
    failure.error.stack = error?.stack;
    process.stdout.write(`${JSON.stringify(failure)}\n`);
    process.exitCode = 1;
  },
);
