// The browser's executor: PostgreSQL (PGlite) and Python (Pyodide) in one worker, so the
// page stays responsive. Messages: {id, type: "step" | "typed" | "reset", ...}; answers:
// {id, result} or {id, error}; {status} while starting.
import { loadPyodide } from "./pyodide/pyodide.mjs";
import { PGlite } from "./pglite/index.js";

const base = new URL("./", import.meta.url);
let session = null;

async function start() {
  const started = performance.now();
  postMessage({ status: "Starting PostgreSQL and Python" });
  // Side by side: the two downloads and compilations overlap.
  const [db, pyodide] = await Promise.all([PGlite.create(), loadPyodide({
    indexURL: new URL("pyodide/", base).href,
    lockFileURL: new URL("wheels/pyodide-lock.json", base).href,
    packageBaseUrl: new URL("wheels/", base).href,
    env: { HOME: "/home/pyodide", COLUMNS: "80" },
    stdout: () => {},
    stderr: () => {},
  })]);
  postMessage({ status: "Loading Alembic" });
  await pyodide.loadPackage(["alembic", "pg8000"], { messageCallback: () => {} });
  const files = await (await fetch(new URL("python/files.json", base))).json();
  for (const path of files) {
    const response = await fetch(new URL(`python/${path}`, base));
    pyodide.FS.mkdirTree(`/lib/browser/${path.split("/")[0]}`);
    pyodide.FS.writeFile(`/lib/browser/${path}`, await response.text());
  }
  pyodide.runPython("import sys; sys.path.insert(0, '/lib/browser')");
  const runner = pyodide.pyimport("in_browser.runner");
  runner.connect_to((bytes) => db.execProtocolRawSync(bytes));
  const version = db.query ? (await db.query("SHOW server_version")).rows[0].server_version : "";
  return { handle: runner.handle, db, session: runner.Session(), version, seconds: (performance.now() - started) / 1000 };
}

onmessage = async ({ data }) => {
  try {
    session ??= start();
    const s = (session = await session);
    let result;
    if (data.type === "hello") result = { version: s.version, seconds: s.seconds };
    else result = JSON.parse(s.handle(s.session, data.type, JSON.stringify(data.step ?? data.line)));
    postMessage({ id: data.id, result });
  } catch (error) {
    postMessage({ id: data.id, error: String(error && error.message ? error.message : error) });
  }
};
