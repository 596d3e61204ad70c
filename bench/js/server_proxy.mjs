// fal's own proxy (@fal-ai/server-proxy's Express handler), forwarding to a fal emulator:
//
//   FAL_KEY=<emulator key> node bench/js/server_proxy.mjs <port> <emulator base URL>
//
// server-proxy only forwards to fal's hosts; fetch is wrapped so those hosts reach the
// emulator instead (a string rewrite per call, the same work the gateway's emulator mode
// does), so both proxies in bench/gateway.py forward to the same upstream.
import express from "express";
import { createHandler, route } from "@fal-ai/server-proxy/express";

const [port, base] = process.argv.slice(2);
const MOUNTS = { "fal.run": "/run", "queue.fal.run": "/queue", "rest.fal.ai": "/rest" };
const realFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  const url = new URL(typeof input === "string" ? input : input.url);
  const mount = MOUNTS[url.host];
  return realFetch(mount ? `${base}${mount}${url.pathname}${url.search}` : input, init);
};

const app = express();
app.use(express.json({ limit: "32mb" }));
app.all(route, createHandler());
app.listen(Number(port), "127.0.0.1", () => console.log(`server-proxy on ${port}`));
