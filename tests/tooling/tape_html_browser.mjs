// Drives headless Chromium through a tape page as a reader would, over the DevTools protocol on
// a pipe (--remote-debugging-pipe: JSON messages ended by a NUL byte on fds 3 and 4), so it
// needs Node.js and Chromium only.
//   node tape_html_browser.mjs PAGE.html EXPECTED.json [SCREENSHOT.png]
// Clicks Next through every step (checking the step counter), Back and the arrow keys once,
// checks that the page made no network request and threw no error, and that the gradients it
// shows on its last step equal EXPECTED.json (x.grad() and the other leaves' .grad() after
// loss.backward()) to the 6 digits it prints. With SCREENSHOT.png it saves a picture of a
// backward step. Exits 0 when all holds, 1 with a message otherwise.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [page, expectedPath, screenshot] = process.argv.slice(2);
if (!page || !expectedPath) {
  console.error("usage: node tape_html_browser.mjs PAGE.html EXPECTED.json [SCREENSHOT.png]");
  process.exit(2);
}
const expected = JSON.parse(readFileSync(expectedPath, "utf8"));
const pageUrl = pathToFileURL(resolve(page)).href;

// ---- Chromium and the protocol ---------------------------------------------------------------
const profile = mkdtempSync(join(tmpdir(), "tapegrad-chromium-"));
const chromium = spawn(process.env.CHROMIUM || "chromium", [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-pipe",
  `--user-data-dir=${profile}`, "about:blank",
], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
let chromiumLog = "";
chromium.stderr.on("data", d => { chromiumLog = (chromiumLog + d).slice(-4000); });
const toBrowser = chromium.stdio[3], fromBrowser = chromium.stdio[4];

let nextId = 1;
const waiting = new Map();  // id -> {resolve, reject, method}
const listeners = [];       // (message) => void, for events
let buffered = "";
fromBrowser.on("data", chunk => {
  buffered += chunk.toString("utf8");
  let end;
  while ((end = buffered.indexOf("\0")) >= 0) {
    const message = JSON.parse(buffered.slice(0, end));
    buffered = buffered.slice(end + 1);
    if (message.id && waiting.has(message.id)) {
      const w = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.error) w.reject(new Error(`${w.method}: ${message.error.message}`));
      else w.resolve(message.result);
    } else {
      listeners.forEach(f => f(message));
    }
  }
});
function send(method, params = {}, sessionId = undefined) {
  const id = nextId++;
  toBrowser.write(JSON.stringify({ id, method, params, sessionId }) + "\0");
  return new Promise((resolve, reject) => waiting.set(id, { resolve, reject, method }));
}
function nextEvent(method, sessionId) {
  return new Promise(resolve => {
    const f = m => {
      if (m.method !== method || m.sessionId !== sessionId) return;
      listeners.splice(listeners.indexOf(f), 1);
      resolve(m.params);
    };
    listeners.push(f);
  });
}

let failures = 0;
function check(ok, what) {
  if (!ok) {
    failures++;
    console.error("FAILED: " + what);
  }
}

async function main() {
  const { targetInfos } = await send("Target.getTargets");
  const target = targetInfos.find(t => t.type === "page");
  if (!target) throw new Error("Chromium opened no page");
  const { sessionId } = await send("Target.attachToTarget", { targetId: target.targetId, flatten: true });
  const call = (method, params) => send(method, params, sessionId);

  const requests = [], errors = [];
  listeners.push(m => {
    if (m.sessionId !== sessionId) return;
    if (m.method === "Network.requestWillBeSent") requests.push(m.params.request.url);
    if (m.method === "Runtime.exceptionThrown") errors.push(m.params.exceptionDetails.text +
        " " + JSON.stringify(m.params.exceptionDetails.exception?.description ?? ""));
    if (m.method === "Runtime.consoleAPICalled" && m.params.type === "error")
      errors.push("console.error: " + m.params.args.map(a => a.value ?? a.description).join(" "));
  });
  await call("Page.enable");
  await call("Runtime.enable");
  await call("Network.enable");
  await call("Emulation.setDeviceMetricsOverride",
             { width: 1360, height: 860, deviceScaleFactor: 1, mobile: false });
  const loaded = nextEvent("Page.loadEventFired", sessionId);
  await call("Page.navigate", { url: pageUrl });
  await loaded;

  const evaluate = async expression => {
    const r = await call("Runtime.evaluate", { expression, returnByValue: true });
    if (r.exceptionDetails) throw new Error(`evaluating ${expression}: ${r.exceptionDetails.text}`);
    return r.result.value;
  };
  // a real click: mouse down and up at the middle of the element, as a reader's
  const click = async selector => {
    const box = await evaluate(`(() => { const r = document.querySelector(${JSON.stringify(selector)})
        .getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()`);
    for (const type of ["mousePressed", "mouseReleased"])
      await call("Input.dispatchMouseEvent", { type, x: box[0], y: box[1], button: "left", clickCount: 1 });
  };
  const key = async (name, code) => {
    for (const type of ["keyDown", "keyUp"])
      await call("Input.dispatchKeyEvent", { type, key: name, code, windowsVirtualKeyCode: code === "ArrowLeft" ? 37 : 39 });
  };
  const label = () => evaluate(`document.getElementById("step-label").textContent`);

  const first = await label();
  const m = /^step 0 of (\d+)$/.exec(first);
  check(m, `the page opens on step 0, it shows "${first}"`);
  const last = m ? Number(m[1]) : 0;
  const ops = await evaluate(`TAPE.nodes.length`);
  check(last === 2 * ops + 1, `${ops} ops give ${2 * ops + 1} steps (start, forward, backward, done), the page has ${last}`);

  let shotTaken = false;
  for (let step = 1; step <= last; ++step) {
    await click("#next");
    const shown = await label();
    check(shown === `step ${step} of ${last}`, `after ${step} clicks on Next the page shows "${shown}"`);
    const phase = await evaluate(`document.getElementById("phase").textContent`);
    const want = step <= ops ? "forward pass" : step <= 2 * ops ? "backward pass" : "done";
    check(phase === want, `step ${step} is in the ${want}, the page says "${phase}"`);
    if (screenshot && !shotTaken && step === ops + 4) {
      const { data } = await call("Page.captureScreenshot", { format: "png" });
      writeFileSync(screenshot, Buffer.from(data, "base64"));
      shotTaken = true;
    }
  }
  check(await evaluate(`document.getElementById("next").disabled`), "Next is disabled on the last step");
  await click("#prev");
  check(await label() === `step ${last - 1} of ${last}`, "Back goes one step back");
  await key("ArrowRight", "ArrowRight");
  check(await label() === `step ${last} of ${last}`, "the right arrow key goes one step on");

  // the gradients shown on the last step, against .grad() after loss.backward()
  const shownGrads = await evaluate(`[...document.querySelectorAll("pre.leaf-grad")]
      .map(e => [e.dataset.leaf, e.textContent])`);
  check(shownGrads.length === Object.keys(expected).length,
        `the last step shows ${shownGrads.length} leaf gradients, expected ${Object.keys(expected).length}`);
  for (const [leaf, text] of shownGrads) {
    const want = expected[leaf];
    if (!want) {
      check(false, `the page shows a gradient for "${leaf}", which the program did not expect`);
      continue;
    }
    const before = failures;
    const got = (text.match(/-?\d+(\.\d+)?(e[-+]?\d+)?/g) || []).map(Number);
    check(got.length === want.length, `${leaf}: the page shows ${got.length} numbers, ${leaf}.grad() has ${want.length}`);
    got.forEach((g, i) => {
      const tol = 1e-5 * Math.abs(want[i]) + 1e-12;  // printed to 6 significant digits
      check(Math.abs(g - want[i]) <= tol, `${leaf} element ${i}: the page shows ${g}, ${leaf}.grad() is ${want[i]}`);
    });
    if (failures === before)
      console.log(`${leaf}: the page's gradient equals ${leaf}.grad() (${got.length} elements)`);
  }
  const foreign = requests.filter(u => u !== pageUrl && !u.startsWith(pageUrl + "#"));
  check(foreign.length === 0, "the page is self-contained, but it requested: " + foreign.join(", "));
  check(errors.length === 0, "the page's script failed: " + errors.join("; "));
  if (screenshot) check(shotTaken, "a screenshot was taken");
}

const timer = setTimeout(() => {
  console.error("FAILED: no answer from Chromium within 120 s\n" + chromiumLog);
  process.exit(1);
}, 120000);
chromium.on("exit", code => {
  if (waiting.size > 0) {
    console.error(`FAILED: Chromium exited (code ${code}) while waiting for an answer\n` + chromiumLog);
    process.exit(1);
  }
});
try {
  await main();
} catch (e) {
  failures++;
  console.error("FAILED: " + e.message + "\n" + chromiumLog);
}
clearTimeout(timer);
chromium.removeAllListeners("exit");
const exited = new Promise(done => chromium.once("exit", done));
send("Browser.close").catch(() => {});  // it may be gone already
await Promise.race([exited, new Promise(done => setTimeout(done, 5000))]);
chromium.kill();
rmSync(profile, { recursive: true, force: true });
console.log(failures ? `${failures} checks failed` : "the tape page works in Chromium");
process.exit(failures ? 1 : 0);
